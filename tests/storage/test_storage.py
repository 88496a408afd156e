"""The storage module: streamed saves, limits, no partial files, no paths outside the store."""
from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.storage import LocalStorage, UploadRejected
from portal.storage.inspection import check_document, document_suffix


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_save_streams_into_place_with_checksum(tmp_path):
    storage = LocalStorage(tmp_path)
    stored = storage.save(io.BytesIO(b"%PDF-1.4 hello"), prefix="cv", suffix=".pdf", max_bytes=100)
    assert stored.size == 14 and len(stored.sha256) == 64
    assert storage.open(stored.key).read() == b"%PDF-1.4 hello"
    assert stored.key.startswith("cv/") and stored.key.endswith(".pdf")


def test_too_large_or_failed_check_leaves_no_file(tmp_path):
    storage = LocalStorage(tmp_path)
    with pytest.raises(UploadRejected, match="larger than"):
        storage.save(io.BytesIO(b"x" * 2048), prefix="cv", suffix=".pdf", max_bytes=1024)
    with pytest.raises(UploadRejected, match="not a PDF"):
        storage.save(io.BytesIO(b"plain text"), prefix="cv", suffix=".pdf", max_bytes=1024,
                     check=check_document(".pdf"))
    assert _files(tmp_path) == []


def test_keys_outside_the_store_are_refused(tmp_path):
    storage = LocalStorage(tmp_path / "store")
    (tmp_path / "secret.txt").write_text("secret")
    for key in ("../secret.txt", "cv/../../secret.txt", "/etc/passwd"):
        with pytest.raises(UploadRejected):
            storage.open(key)


def test_document_suffix_accepts_only_pdf_and_docx():
    assert document_suffix("CV.PDF") == ".pdf"
    assert document_suffix("C:\\Users\\me\\cv.docx") == ".docx"
    for name in ("cv.doc", "cv.pdf.exe", "cv", "", "../cv.sh"):
        with pytest.raises(UploadRejected):
            document_suffix(name)


@settings(max_examples=150, deadline=None)
@given(content=st.binary(max_size=2048), suffix=st.sampled_from([".pdf", ".docx"]))
def test_inspection_of_arbitrary_bytes_either_accepts_or_refuses_cleanly(tmp_path_factory, content, suffix):
    path = tmp_path_factory.mktemp("inspect") / f"upload{suffix}"
    path.write_bytes(content)
    try:
        check_document(suffix)(path)
    except UploadRejected:
        pass


@settings(max_examples=50, deadline=None)
@given(names=st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=5, unique=True))
def test_docx_members_with_unsafe_paths_are_always_refused(tmp_path_factory, names):
    path = tmp_path_factory.mktemp("docx") / "cv.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
        for name in names:
            archive.writestr("../" + name, "x")
    with pytest.raises(UploadRejected):
        check_document(".docx")(path)
