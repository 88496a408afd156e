"""Content checks for uploaded documents: the bytes must be what the name claims, and safe to open."""
from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

from portal.storage import UploadRejected

MAX_ARCHIVE_ENTRIES = 2000
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 200

DOCUMENT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def document_suffix(filename: str) -> str:
    suffix = PurePosixPath((filename or "").replace("\\", "/")).suffix.lower()
    if suffix not in DOCUMENT_TYPES:
        raise UploadRejected("Upload a PDF or Word (.docx) file.")
    return suffix


def check_archive(path: Path) -> zipfile.ZipFile:
    """Refuse zip files that are malformed, bombs, or that name paths outside themselves."""
    try:
        archive = zipfile.ZipFile(path)
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UploadRejected("The file is damaged or not the type its name says.") from None
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
    return archive


def check_document(suffix: str):
    """A check for LocalStorage.save that the spooled file really is a PDF or a DOCX."""

    def check(path: Path) -> None:
        with path.open("rb") as fh:
            head = fh.read(8)
        if suffix == ".pdf":
            if not head.startswith(b"%PDF-"):
                raise UploadRejected("The file is not a PDF document.")
            with path.open("rb") as fh:
                fh.seek(max(0, path.stat().st_size - 2048))
                tail = fh.read()
            if b"%%EOF" not in tail:
                raise UploadRejected("The PDF is incomplete or damaged (it has no end marker). Export it again and retry.")
            return
        if suffix == ".docx":
            if not head.startswith(b"PK\x03\x04"):
                raise UploadRejected("The file is not a Word (.docx) document.")
            with check_archive(path) as archive:
                names = set(archive.namelist())
            if "[Content_Types].xml" not in names or "word/document.xml" not in names:
                raise UploadRejected("The file is not a Word (.docx) document.")
            return
        raise UploadRejected("Upload a PDF or Word (.docx) file.")

    return check
