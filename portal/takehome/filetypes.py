"""The file types a take-home holds besides PDF and Word: plain-text source and documents, and zip
archives, registered in the storage module's type registry (portal.storage.filetypes).

Text is judged by its bytes (UTF-8, no NUL, so a binary renamed `.py` is refused) and is always
served as a `text/plain` attachment with nosniff, so an `.html` or `.svg`-like text never renders in
the portal's origin. Zips are judged from their directory before anything is read (archives.py),
and here also refuse symlinks and archives nested inside them.
"""

from __future__ import annotations

import codecs
import stat
from pathlib import Path, PurePosixPath

from portal.storage import UploadRejected, filetypes
from portal.storage.archives import check_archive, check_members_readable

NOT_TEXT = "The file is not plain text (UTF-8), so it cannot be one of the text types its name says."
NESTED = "The archive contains another archive: put all files in one zip."
SYMLINK = "The archive contains a symbolic link: add the file itself instead."

# Source code, configuration and notes a take-home brief or answer is written in.
TEXT_EXTENSIONS = (
    ".txt",
    ".md",
    ".py",
    ".js",
    ".ts",
    ".go",
    ".rs",
    ".java",
    ".kt",
    ".rb",
    ".php",
    ".c",
    ".h",
    ".cpp",
    ".cs",
    ".sh",
    ".sql",
    ".json",
    ".yml",
    ".yaml",
    ".toml",
    ".ini",
    ".cfg",
    ".csv",
    ".tf",
    ".dockerfile",
)
NESTED_ARCHIVE_SUFFIXES = {".zip", ".jar", ".war", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".zst"}
CHUNK = 64 * 1024


def check_text(path: Path) -> None:
    """UTF-8 text without NUL bytes, read in chunks (a large file is never held whole)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            if b"\x00" in chunk:
                raise UploadRejected(NOT_TEXT)
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                raise UploadRejected(NOT_TEXT) from None
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise UploadRejected(NOT_TEXT) from None


def _nothing_runs(_path: Path) -> None:
    """Text runs nothing by itself: it is served as text/plain, as an attachment, never sniffed."""


def check_zip_structure(path: Path) -> None:
    with path.open("rb") as fh:
        if not fh.read(4).startswith((b"PK\x03\x04", b"PK\x05\x06")):
            raise UploadRejected("The file is not a zip archive.")
    with check_archive(path) as archive:
        for info in archive.infolist():
            # The high 16 bits of external_attr hold the Unix mode of the entry (a link is S_IFLNK).
            if stat.S_ISLNK(info.external_attr >> 16):
                raise UploadRejected(SYMLINK)
            if PurePosixPath(info.filename.replace("\\", "/")).suffix.lower() in NESTED_ARCHIVE_SUFFIXES:
                raise UploadRejected(NESTED)
        check_members_readable(archive)


def register() -> None:
    """Add the take-home types to the registry (idempotent: every app of a test run calls it)."""
    filetypes.register(
        filetypes.FileType(
            name="text",
            label="plain text or source code",
            extensions=TEXT_EXTENSIONS,
            content_types=("text/plain",),
            check_structure=check_text,
            check_active_content=_nothing_runs,
        )
    )
    filetypes.register(
        filetypes.FileType(
            name="zip",
            label="zip archive",
            extensions=(".zip",),
            content_types=("application/zip",),
            check_structure=check_zip_structure,
            check_active_content=_nothing_runs,
        )
    )


# Choices for an assignment's allowed types, in the order the form shows them.
SUBMISSION_TYPES = ("zip", "text", "pdf", "docx")


register()
