"""Word (.docx) checks: a sound Office Open XML package, with no macros, no ActiveX or OLE objects,
and no relationship that makes Word fetch something from elsewhere when the file is opened
(a remote template, image or frame: a way to run code or leak the reader's network credentials).

Hyperlinks stay allowed: Word follows them only on a click. They must point to the web or mail
(http, https, mailto), never to a file or a network share.
"""

from __future__ import annotations

import xml.parsers.expat
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from portal.storage import UploadRejected
from portal.storage.archives import check_archive, check_members_readable, read_member

NOT_DOCX = "The file is not a Word (.docx) document."
MAX_XML = 4 * 1024 * 1024  # the parts read here are small in any real document

MACROS = "The document contains macros. Save it as a Word Document (.docx), not macro-enabled, and upload it again."
EMBEDDED = (
    "The document contains embedded objects or controls (ActiveX or OLE). "
    "Remove them, or save it as a PDF, and upload it again."
)
REMOTE = (
    "The document loads content from elsewhere when it is opened (a linked template, image or frame). "
    "Remove the link, or save it as a PDF, and upload it again."
)
LOCAL_LINK = (
    "The document links to a file on a computer or network share. "
    "Remove that link, or save it as a PDF, and upload it again."
)

# Relationship types (the last segment of the Type URI) that embed active content.
EMBEDDING_TYPES = {
    "oleobject",
    "activex",
    "activexcontrolbinary",
    "control",
    "vbaproject",
    "vbadata",
    "wordvbadata",
    "keymapcustomizations",
}
LINK_SCHEMES = {"http", "https", "mailto"}


def check_structure(path: Path) -> None:
    with path.open("rb") as fh:
        if not fh.read(4).startswith(b"PK\x03\x04"):
            raise UploadRejected(NOT_DOCX)
    with check_archive(path) as archive:
        names = set(archive.namelist())
        if "[Content_Types].xml" not in names or "word/document.xml" not in names:
            raise UploadRejected(NOT_DOCX)
        check_members_readable(archive)


def check_active_content(path: Path) -> None:
    with check_archive(path) as archive:
        for info in archive.infolist():
            name = info.filename.replace("\\", "/").lower()
            base = PurePosixPath(name).name
            if base in {"vbaproject.bin", "vbadata.xml"} or base.endswith(".bin") and "vba" in base:
                raise UploadRejected(MACROS)
            if name.startswith(("word/activex/", "word/embeddings/oleobject")):
                raise UploadRejected(EMBEDDED)
            if name == "[content_types].xml":
                _check_content_types(read_member(archive, info, MAX_XML))
            elif name.endswith(".rels"):
                _check_relationships(read_member(archive, info, MAX_XML))


def _check_content_types(data: bytes) -> None:
    for _, attrs in _elements(data):
        content_type = attrs.get("ContentType", "").lower()
        if "macroenabled" in content_type or "vba" in content_type:
            raise UploadRejected(MACROS)
        if "activex" in content_type or "oleobject" in content_type:
            raise UploadRejected(EMBEDDED)


def _check_relationships(data: bytes) -> None:
    for element, attrs in _elements(data):
        if element.rsplit(" ", 1)[-1] != "Relationship":
            continue
        kind = attrs.get("Type", "").rstrip("/").rsplit("/", 1)[-1].lower()
        if kind in {"vbaproject", "vbadata", "wordvbadata"}:
            raise UploadRejected(MACROS)
        if kind in EMBEDDING_TYPES:
            raise UploadRejected(EMBEDDED)
        if attrs.get("TargetMode", "").strip().lower() != "external":
            continue
        if kind != "hyperlink":
            raise UploadRejected(REMOTE)
        if not _is_web_or_mail(attrs.get("Target", "")):
            raise UploadRejected(LOCAL_LINK)


def _is_web_or_mail(target: str) -> bool:
    target = target.strip()
    if target.startswith(("\\\\", "//")):  # a UNC path or a scheme-relative address
        return False
    return urlsplit(target).scheme.lower() in LINK_SCHEMES


def _elements(data: bytes) -> list[tuple[str, dict[str, str]]]:
    """(namespace-qualified name, attributes) of every element, from XML without a DTD."""
    found: list[tuple[str, dict[str, str]]] = []
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")

    def refuse(*_):
        # Office parts never declare a DTD; one here serves only entity tricks.
        raise UploadRejected(NOT_DOCX)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = lambda name, attrs: found.append((name, attrs))
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError:
        raise UploadRejected(NOT_DOCX) from None
    return found
