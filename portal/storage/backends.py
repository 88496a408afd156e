"""Where the bytes live: a small backend interface, a registry of backends, and the local-disk one.

`STORAGE_BACKEND` names the backend; a new one (an S3-style object store, say) registers a factory
with `register_backend` and no caller changes. Every backend keeps the same promise on `save`: the
stream is copied in chunks while it is hashed, into a temporary place, checked, and only then put
under its key; a refused or failed upload leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from portal.storage import UploadRejected
from portal.storage.kinds import size_text

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Saved:
    """What a backend reports for bytes it has just put in place."""

    key: str
    size: int
    sha256: str


class Backend(Protocol):
    def save(
        self, stream: BinaryIO, *, prefix: str, suffix: str, max_bytes: int, check: Callable[[Path], None] | None = None
    ) -> Saved:
        """Store the stream under a new key; `check` sees the complete bytes as a local file first."""

    def open(self, key: str) -> BinaryIO: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int: ...


class InvalidKey(ValueError):
    """A storage key that names something outside the store."""


class LocalBackend:
    """Files under one directory (shared storage when several app instances run side by side)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / ".incoming").mkdir(exist_ok=True)

    def path(self, key: str) -> Path:
        # Keys come from the database, but a path outside the store is refused all the same.
        candidate = (self.root / key).resolve()
        if self.root not in candidate.parents or (self.root / ".incoming") in candidate.parents:
            raise InvalidKey(key)
        return candidate

    def save(self, stream, *, prefix, suffix, max_bytes, check=None) -> Saved:
        digest = hashlib.sha256()
        size = 0
        # In the store itself, so the final move is a rename on the same file system.
        fd, tmp_name = tempfile.mkstemp(dir=self.root / ".incoming")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise UploadRejected(f"The file is larger than {size_text(max_bytes)}.")
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
            return Saved(key=key, size=size, sha256=digest.hexdigest())
        finally:
            tmp.unlink(missing_ok=True)

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


BACKENDS: dict[str, Callable[[Mapping], Backend]] = {}


def register_backend(name: str):
    """Make a backend available as STORAGE_BACKEND=name; the factory receives the app config."""

    def register(factory: Callable[[Mapping], Backend]):
        BACKENDS[name] = factory
        return factory

    return register


@register_backend("local")
def _local(config: Mapping) -> Backend:
    return LocalBackend(config["STORAGE_DIR"])


def get_storage() -> Backend:
    """The configured backend of the current app (built once per app)."""
    from flask import current_app

    app = current_app._get_current_object()
    backend = app.extensions.get("candor_storage")
    if backend is None:
        name = app.config.get("STORAGE_BACKEND", "local")
        if name not in BACKENDS:
            from portal.config import ConfigError

            raise ConfigError(f"STORAGE_BACKEND={name!r} is not one of: {', '.join(sorted(BACKENDS))}.")
        backend = app.extensions["candor_storage"] = BACKENDS[name](app.config)
    return backend
