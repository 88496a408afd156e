"""Access policy, security headers and safe redirects."""
