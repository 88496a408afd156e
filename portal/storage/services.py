"""Storing an upload: one call streams it to the backend, inspects it, and records it."""

from __future__ import annotations

import unicodedata

from portal import audit
from portal.extensions import db
from portal.storage import UploadRejected, filetypes
from portal.storage.backends import get_storage
from portal.storage.kinds import upload_kind
from portal.storage.models import StoredFile
from portal.unit_of_work import on_rollback, transactional


@transactional
def store_upload(
    stream,
    filename: str,
    kind: str,
    owner,
    actor,
    *,
    types: tuple[str, ...] | None = None,
    max_bytes: int | None = None,
) -> StoredFile:
    """Store `stream` (sent as `filename`) as an upload of `kind` belonging to `owner`.

    `types` and `max_bytes` narrow the kind's own for one owner (a take-home assignment's allowed
    types and per-file limit); they never widen it.
    Refuses with UploadRejected (nothing kept) when the name, size or content is not acceptable.
    If the surrounding transaction fails later, the stored bytes are deleted with it.
    """
    allowed = upload_kind(kind)
    accepted = tuple(t for t in allowed.types if types is None or t in types)
    if not accepted:
        raise UploadRejected("No file type is accepted here.")
    limit = min(allowed.max_bytes, max_bytes) if max_bytes else allowed.max_bytes
    file_type = filetypes.type_for(filename, accepted)
    suffix = filetypes.extension(filename)
    backend = get_storage()
    saved = backend.save(stream, prefix=kind, suffix=suffix, max_bytes=limit, check=file_type.inspect)
    on_rollback(lambda: backend.delete(saved.key))
    record = StoredFile(
        owner_type=owner.__tablename__,
        owner_id=owner.id,
        kind=kind,
        original_name=_printable(filename)[:255],
        name=sanitised_name(filename, suffix, default=kind),
        size=saved.size,
        content_type=file_type.content_type,
        sha256=saved.sha256,
        storage_key=saved.key,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(record)
    db.session.flush()
    audit.record("file.store", record, actor=actor, kind=kind, sha256=saved.sha256, size=saved.size)
    return record


def sanitised_name(filename: str, suffix: str, default: str = "file") -> str:
    """The last path segment of `filename`, letters, digits and a few safe marks only, with `suffix`."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    if suffix and base.lower().endswith(suffix):
        base = base[: -len(suffix)]
    base = unicodedata.normalize("NFC", base)
    stem = "".join(ch for ch in base if ch.isalnum() or ch in " ._-()").strip(" .") or default
    return f"{stem[:120]}{suffix}"


def _printable(text: str) -> str:
    return "".join(ch for ch in (text or "") if unicodedata.category(ch)[0] != "C")
