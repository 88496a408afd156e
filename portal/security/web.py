"""Security headers on every response and the check that keeps redirects on this site."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request
from flask_login import current_user

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def refuse_nul_in_path() -> None:
    """No address of the portal holds a NUL: one that does is refused at the door, before a view looks
    it up (PostgreSQL refuses NUL in text). Form fields say it next to the field instead."""
    from flask import abort

    if "\x00" in request.path:
        abort(400)


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    # Behind a TLS-terminating proxy the request itself looks like plain http: trust the configured
    # public address too. Browsers ignore HSTS received over http, so this never locks out a dev site.
    if request.is_secure or current_app.config.get("BASE_URL", "").startswith("https://"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    # Pages of a signed-in person hold personal data: keep them out of shared caches and history.
    # Static files hold none and stay cacheable (and need no look-up of the user).
    # A response that already forbids storing (a file download: "private, no-store") keeps its own.
    if request.endpoint != "static" and current_user and current_user.is_authenticated:
        if "no-store" not in response.headers.get("Cache-Control", ""):
            response.headers["Cache-Control"] = "no-store"
    return response


def is_safe_next(target: str | None) -> bool:
    """True for a path on this site only: "/x", never "//evil", "/\\evil", "http://..." or "javascript:"."""
    if not target or not isinstance(target, str):
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    # Browsers read a backslash as a slash and drop tabs and newlines, so "/\\evil" is "//evil".
    if any(ch == "\\" or ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str) -> str:
    return target if is_safe_next(target) else default
