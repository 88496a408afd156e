"""File storage: an interface chosen by configuration, with a local-disk backend.

Uploads are streamed to a temporary file inside the store, checked, then moved into place,
so a refused or failed upload never leaves a partial file behind.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Protocol

from flask import abort, current_app, send_file

CHUNK = 64 * 1024


class UploadRejected(ValueError):
    """An upload that is refused; the message is shown to the person who sent it."""


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    sha256: str


class Storage(Protocol):
    def save(self, stream: BinaryIO, *, prefix: str, suffix: str, max_bytes: int,
             check: Callable[[Path], None] | None = None) -> StoredFile: ...

    def open(self, key: str) -> BinaryIO: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


class LocalStorage:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / ".incoming").mkdir(exist_ok=True)

    def path(self, key: str) -> Path:
        # Keys come from the database, but a path outside the store is refused all the same.
        candidate = (self.root / key).resolve()
        if self.root not in candidate.parents:
            raise UploadRejected("invalid file key")
        return candidate

    def save(self, stream, *, prefix, suffix, max_bytes, check=None) -> StoredFile:
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root / ".incoming")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = stream.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > max_bytes:
                        raise UploadRejected(
                            f"The file is larger than {max_bytes // (1024 * 1024)} MB."
                        )
                    digest.update(chunk)
                    out.write(chunk)
            if size == 0:
                raise UploadRejected("The file is empty.")
            if check is not None:
                check(tmp)
            key = f"{prefix.strip('/')}/{secrets.token_hex(2)}/{secrets.token_urlsafe(18)}{suffix}"
            final = self.path(key)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
            return StoredFile(key=key, size=size, sha256=digest.hexdigest())
        finally:
            tmp.unlink(missing_ok=True)

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def send_stored(key: str | None, *, filename: str, mimetype: str):
    """A download response for a stored file, as an attachment (never rendered inline); 404 if gone."""
    storage = get_storage()
    if not key or not storage.exists(key):
        abort(404)
    return send_file(storage.open(key), mimetype=mimetype, as_attachment=True, download_name=filename)


def get_storage() -> Storage:
    app = current_app._get_current_object()
    storage = app.extensions.get("candor_storage")
    if storage is None:
        storage = app.extensions["candor_storage"] = LocalStorage(app.config["STORAGE_DIR"])
    return storage
