"""Real PDF and DOCX files built for tests: plain ones, and ones carrying a chosen kind of active content."""

from __future__ import annotations

import io
import zipfile
import zlib

CATALOG = b"<</Type/Catalog/Pages 2 0 R%s>>"
PAGES = b"<</Type/Pages/Kids[3 0 R]/Count 1>>"
PAGE = b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R%s>>"


def pdf(
    text: str = "Curriculum vitae",
    *,
    catalog: bytes = b"",
    page: bytes = b"",
    extra: list[bytes] = (),
    compress_content: bool = True,
    object_stream: list[bytes] = (),
) -> bytes:
    """A one-page PDF with a cross-reference table. `extra` objects are numbered from 5 on, then
    `object_stream` objects, which are put in a Flate-compressed object stream (as PDF 1.5+ writers do)."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    content_dict = b"<</Length %d>>" % len(content)
    if compress_content:
        content = zlib.compress(content)
        content_dict = b"<</Length %d/Filter/FlateDecode>>" % len(content)
    bodies = [CATALOG % catalog, PAGES, PAGE % page, content_dict + b"\nstream\n" + content + b"\nendstream"]
    bodies += list(extra)
    first_in_stream = len(bodies) + 2  # object numbers: bodies are 1..n, the object stream n+1
    if object_stream:
        header, offset, parts = [], 0, []
        for index, obj in enumerate(object_stream):
            header.append(b"%d %d" % (first_in_stream + index, offset))
            parts.append(obj)
            offset += len(obj) + 1
        head = b" ".join(header) + b" "
        packed = zlib.compress(head + b"\n".join(parts))
        bodies.append(
            b"<</Type/ObjStm/N %d/First %d/Length %d/Filter/FlateDecode>>\nstream\n"
            % (len(object_stream), len(head), len(packed))
            + packed
            + b"\nendstream"
        )
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(bodies) + 1, xref))
    return out.getvalue()


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="{main}"/>{more}'
    "</Types>"
)
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{}</Relationships>'
)
ROOT_RELS = RELS.format(
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/>'
)
REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:body></w:document>"
)


def relationship(rid: str, kind: str, target: str, external: bool = False) -> str:
    mode = ' TargetMode="External"' if external else ""
    return f'<Relationship Id="{rid}" Type="{REL_TYPE}{kind}" Target="{target}"{mode}/>'


def docx(
    text: str = "Curriculum vitae",
    *,
    main: str = DOCX_MAIN,
    content_types: str = "",
    relationships: list[str] = (),
    settings_relationships: list[str] = (),
    parts: dict[str, bytes] | None = None,
) -> bytes:
    """A Word document that Word opens; `relationships` go into word/_rels/document.xml.rels."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.format(main=main, more=content_types))
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("word/document.xml", DOCUMENT.format(text))
        archive.writestr("word/_rels/document.xml.rels", RELS.format("".join(relationships)))
        if settings_relationships:
            archive.writestr(
                "word/settings.xml",
                '<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>',
            )
            archive.writestr("word/_rels/settings.xml.rels", RELS.format("".join(settings_relationships)))
        for name, content in (parts or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()
