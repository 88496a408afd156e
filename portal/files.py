"""Answering with a stored file, and marking the views that take uploads (for the 413 page)."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import Response, abort, current_app, request
from werkzeug.wsgi import wrap_file

from portal.storage.backends import get_storage
from portal.storage.kinds import UploadKind
from portal.storage.models import StoredFile


def send_stored(record: StoredFile | None) -> Response:
    """The file as a download: never rendered inline, never sniffed, never cached; 404 if gone.

    No conditional or range handling: a download is small and audited as a whole, so `Range` is
    not advertised and a range request gets the whole file. No `Date` either: the server adds it.
    """
    backend = get_storage()
    if record is None or not backend.exists(record.storage_key):
        abort(404)
    if request.method == "HEAD":
        body = None
    else:
        body = wrap_file(request.environ, backend.open(record.storage_key))
    response = Response(body, mimetype=record.content_type, direct_passthrough=True)
    response.content_length = record.size
    response.headers["Content-Disposition"] = content_disposition(record.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Accept-Ranges"] = "none"
    return response


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII `filename` and, for other names, the exact one as RFC 6266 `filename*`."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    fallback = "".join(ch for ch in fallback if ch.isprintable() and ch not in '"\\') or "download"
    value = f'attachment; filename="{fallback}"'
    if fallback != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='!#$&+-.^_`|~')}"
    return value


def accepts_upload(kind: str):
    """Mark a view that takes an upload of `kind`: a request too large for it names that kind's limit."""

    def mark(view):
        view.upload_kind = kind
        return view

    return mark


def upload_kind_of_request() -> UploadKind | None:
    view = current_app.view_functions.get(request.endpoint or "")
    name = getattr(view, "upload_kind", None)
    return current_app.config["UPLOAD_KINDS"].get(name) if name else None
