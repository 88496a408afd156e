"""The file types an upload may be, as a registry: each type names its extensions and content
types, checks that the bytes really are that type, and refuses active content (scripts, macros,
remote templates) that would run when staff open the file.

PDF and DOCX are registered here; a capability that accepts more (archives, source files) calls
`register` with its own types.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from portal.storage import UploadRejected


@dataclass(frozen=True)
class FileType:
    name: str  # "pdf"
    label: str  # how people know it: "PDF", "Word (.docx)"
    extensions: tuple[str, ...]  # lower case, with the dot
    content_types: tuple[str, ...]  # the first is the one the file is served as
    check_structure: Callable[[Path], None]  # raises UploadRejected: not this type, or damaged
    check_active_content: Callable[[Path], None]  # raises UploadRejected: would run something

    @property
    def content_type(self) -> str:
        return self.content_types[0]

    def inspect(self, path: Path) -> None:
        self.check_structure(path)
        self.check_active_content(path)


FILE_TYPES: dict[str, FileType] = {}


def register(file_type: FileType) -> FileType:
    FILE_TYPES[file_type.name] = file_type
    return file_type


def extension(filename: str) -> str:
    """The lower-case extension of the last path segment of a name a browser sent ('' if none)."""
    return PurePosixPath((filename or "").replace("\\", "/")).suffix.lower()


def allowed_text(names: Iterable[str]) -> str:
    labels = [FILE_TYPES[name].label for name in names]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]


def type_for(filename: str, allowed: Iterable[str]) -> FileType:
    """The allowed type that `filename` claims to be, or a refusal naming what is allowed."""
    allowed = tuple(allowed)
    suffix = extension(filename)
    for name in allowed:
        if suffix and suffix in FILE_TYPES[name].extensions:
            return FILE_TYPES[name]
    raise UploadRejected(f"Upload a {allowed_text(allowed)} file.")


def _register_documents() -> None:
    from portal.storage import docx, pdf

    register(
        FileType(
            name="pdf",
            label="PDF",
            extensions=(".pdf",),
            content_types=("application/pdf",),
            check_structure=pdf.check_structure,
            check_active_content=pdf.check_active_content,
        )
    )
    register(
        FileType(
            name="docx",
            label="Word (.docx)",
            extensions=(".docx",),
            content_types=("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
            check_structure=docx.check_structure,
            check_active_content=docx.check_active_content,
        )
    )


_register_documents()
