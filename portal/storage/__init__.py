"""File storage: uploads streamed to a backend chosen by configuration, inspected by file type,
and kept as `StoredFile` records (services.store_upload). Serving a file is the views' job.

This module stays free of heavy imports: the configuration reads `kinds` from this package.
"""

from __future__ import annotations

from portal.errors import DomainError


class UploadRejected(DomainError):
    """An upload that is refused; the message is shown to the person who sent it, next to the field."""

    status = 422
