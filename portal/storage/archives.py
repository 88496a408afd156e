"""Zip archives judged from their directory before anything is read: malformed, bombs, unsafe paths."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path, PurePosixPath

from portal.storage import UploadRejected

MAX_ARCHIVE_ENTRIES = 2000
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 200
# What zipfile raises on a damaged or unsupported archive, besides BadZipFile.
ZIP_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError, zlib.error)
DAMAGED = "The file is damaged or not the type its name says."


def check_archive(path: Path) -> zipfile.ZipFile:
    """The open archive, unless it is malformed, a bomb, or names paths outside itself."""
    try:
        archive = zipfile.ZipFile(path)
        entries = archive.infolist()
    except ZIP_ERRORS:
        raise UploadRejected(DAMAGED) from None
    try:
        if len(entries) > MAX_ARCHIVE_ENTRIES:
            raise UploadRejected("The archive has too many files.")
        total = 0
        for info in entries:
            name = info.filename.replace("\\", "/")
            if name.startswith("/") or ".." in PurePosixPath(name).parts or ":" in name.split("/")[0]:
                raise UploadRejected("The archive contains a file with an unsafe path.")
            total += info.file_size
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1024 * 1024:
                raise UploadRejected("The archive expands to far more than its size (an archive bomb).")
        if total > MAX_UNCOMPRESSED:
            raise UploadRejected("The archive expands to more than 100 MB.")
    except BaseException:
        archive.close()
        raise
    return archive


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A member's bytes, at most `limit` of them (the directory may understate the real size)."""
    try:
        with archive.open(info) as member:
            data = member.read(limit + 1)
    except ZIP_ERRORS:
        raise UploadRejected(DAMAGED) from None
    if len(data) > limit:
        raise UploadRejected(DAMAGED)
    return data


def check_members_readable(archive: zipfile.ZipFile) -> None:
    """Every member decompresses and matches its checksum (the directory was judged first)."""
    try:
        broken = archive.testzip()
    except ZIP_ERRORS:
        raise UploadRejected(DAMAGED) from None
    if broken is not None:
        raise UploadRejected(DAMAGED)
