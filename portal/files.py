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


def cap_request() -> None:
    """before_request (ahead of the CSRF check, which reads the form): the most this request may send.

    MAX_CONTENT_LENGTH follows the largest upload kind, so without a cap per route a sign-in form or
    a CV would take a body the size of a take-home hand-in. A view that takes an upload may receive up
    to three times its kind's limit (a file somewhat too large is then refused next to its field, with
    the rest of the form kept); any other view, MAX_FORM_BYTES."""
    ceiling = current_app.config.get("MAX_CONTENT_LENGTH")
    kind = upload_kind_of_request()
    cap = 3 * kind.max_bytes if kind is not None else current_app.config["MAX_FORM_BYTES"]
    request.max_content_length = min(cap, ceiling) if ceiling else cap


def upload_kind_of_request() -> UploadKind | None:
    view = current_app.view_functions.get(request.endpoint or "")
    name = getattr(view, "upload_kind", None)
    return current_app.config["UPLOAD_KINDS"].get(name) if name else None
