"""Upload kinds: what may be uploaded for a purpose (a CV, later a take-home submission) and how large.

The kinds live in the configuration (`UPLOAD_KINDS`), so each limit is set per deployment; the
request cap (MAX_CONTENT_LENGTH) follows the largest of them.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class UploadKind:
    label: str  # how the person uploading names it: "CV"
    types: tuple[str, ...]  # names of registered file types (portal.storage.filetypes)
    max_bytes: int

    @property
    def limit_text(self) -> str:
        return size_text(self.max_bytes)


def size_text(size: int) -> str:
    return f"{size / MB:g} MB" if size >= MB else f"{max(1, size // 1024)} KB"


def upload_kind(name: str) -> UploadKind:
    from flask import current_app

    try:
        return current_app.config["UPLOAD_KINDS"][name]
    except KeyError:
        raise LookupError(f"unknown upload kind {name!r}: add it to UPLOAD_KINDS in portal/config.py") from None
