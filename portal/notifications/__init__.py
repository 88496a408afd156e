"""Mail: rendered from templates, queued in the outbox, delivered by a worker."""
