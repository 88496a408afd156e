"""Password hashes: argon2id for new ones; werkzeug's scrypt and pbkdf2 hashes still verify until
their owner signs in again and the hash is replaced.

Hashing is costly on purpose (tens of MiB and milliseconds of CPU per call), so only a few run at
once: argon2 releases the GIL, and without a bound a burst of sign-ins would take every core from
the threads serving pages. Two bounds apply: per process (a semaphore) and per host (lock files
shared by every worker process on the machine), so some cores always stay free for page views.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # not on POSIX: the per-process bound alone applies
    fcntl = None

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from werkzeug.security import check_password_hash

from portal.config import DEFAULT_PASSWORD_HASH_PARAMETERS

# Werkzeug wrote "scrypt:N:r:p$salt$hash" and "pbkdf2:sha256:N$salt$hash" before argon2id.
LEGACY_PREFIXES = ("scrypt:", "pbkdf2:")

_slots_lock = threading.Lock()
_dummy_lock = threading.Lock()
_DUMMY_HASHES: dict[tuple, str] = {}


def _parameters() -> dict:
    return dict(current_app.config.get("PASSWORD_HASH_PARAMETERS") or DEFAULT_PASSWORD_HASH_PARAMETERS)


def _hasher() -> PasswordHasher:
    return PasswordHasher(type=Type.ID, **_parameters())


@contextmanager
def _slot():
    """Hold one of the process's hashing slots (PASSWORD_HASH_CONCURRENCY) while hashing."""
    app = current_app._get_current_object()
    slots = app.extensions.get("candor.hash_slots")
    if slots is None:
        with _slots_lock:
            slots = app.extensions.setdefault(
                "candor.hash_slots", threading.BoundedSemaphore(max(1, app.config.get("PASSWORD_HASH_CONCURRENCY", 1)))
            )
    with slots, _host_slot(app):
        yield


def host_concurrency(config) -> int:
    return max(1, int(config.get("PASSWORD_HASH_HOST_CONCURRENCY") or max(1, (os.cpu_count() or 2) // 2)))


@contextmanager
def _host_slot(app):
    """Hold one of the host's hashing slots: an exclusive lock on one of N files, shared by every
    worker process of this machine. A free slot is taken at once; otherwise wait for one."""
    if fcntl is None:
        yield
        return
    count = host_concurrency(app.config)
    directory = Path(app.instance_path) / "hash-slots"
    directory.mkdir(parents=True, exist_ok=True)
    held = None
    for number in range(count):
        handle = open(directory / f"{number}.lock", "a+")  # noqa: SIM115  closed below
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        held = handle
        break
    if held is None:
        held = open(directory / f"{threading.get_ident() % count}.lock", "a+")  # noqa: SIM115
        fcntl.flock(held, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(held, fcntl.LOCK_UN)
        held.close()


def hash_password(password: str) -> str:
    with _slot():
        return _hasher().hash(password)


def verify_password(stored: str, password: str) -> tuple[bool, bool]:
    """(matches, should be hashed again): again when the hash is a legacy one or its parameters
    are older than the configured ones."""
    if stored.startswith(LEGACY_PREFIXES):
        with _slot():
            return check_password_hash(stored, password), True
    hasher = _hasher()
    try:
        with _slot():
            hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False, False
    return True, hasher.check_needs_rehash(stored)


def scheme_of(stored: str) -> str:
    """ "argon2id", "scrypt", "pbkdf2": the algorithm named at the start of a stored hash."""
    if stored.startswith("$"):
        return stored.split("$")[1]
    return stored.split(":")[0]


def spend_a_verification(password: str) -> None:
    """Cost what verifying a real hash costs, for an unknown email or an account without password,
    so the answer's timing does not tell which addresses have accounts."""
    verify_password(_dummy_hash(), password)


def _dummy_hash() -> str:
    # One per parameter set: a dummy at another cost than real hashes would be told apart by timing.
    key = tuple(sorted(_parameters().items()))
    if key not in _DUMMY_HASHES:
        with _dummy_lock:
            if key not in _DUMMY_HASHES:
                _DUMMY_HASHES[key] = hash_password("not-a-real-password")
    return _DUMMY_HASHES[key]
