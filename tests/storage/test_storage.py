"""The storage backend and the stored-file service: streamed saves, limits, no partial files, no
paths outside the store, a backend chosen by configuration, and records that vanish with their
transaction."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal import config as config_module
from portal.audit.models import AuditEntry
from portal.config import ConfigError
from portal.extensions import db
from portal.storage import UploadRejected
from portal.storage.backends import BACKENDS, CHUNK, InvalidKey, LocalBackend, get_storage, register_backend
from portal.storage.filetypes import FILE_TYPES
from portal.storage.models import StoredFile
from portal.storage.services import sanitised_name, store_upload
from portal.unit_of_work import transaction
from tests.storage.documents import docx, pdf


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


class ChunkCountingStream(io.BytesIO):
    def __init__(self, content: bytes):
        super().__init__(content)
        self.reads = []

    def read(self, size=-1):
        self.reads.append(size)
        return super().read(size)


def test_save_streams_in_chunks_into_place_with_its_checksum(tmp_path):
    storage = LocalBackend(tmp_path)
    content = b"%PDF-1.4 " + b"x" * (3 * CHUNK)
    stream = ChunkCountingStream(content)
    saved = storage.save(stream, prefix="cv", suffix=".pdf", max_bytes=len(content))
    assert all(0 < size <= CHUNK for size in stream.reads)  # never "read everything at once"
    assert saved.size == len(content) and saved.sha256 == hashlib.sha256(content).hexdigest()
    assert storage.open(saved.key).read() == content and storage.size(saved.key) == len(content)
    assert saved.key.startswith("cv/") and saved.key.endswith(".pdf")
    assert _files(tmp_path) == [saved.key]


def test_too_large_or_failed_check_leaves_no_file(tmp_path):
    storage = LocalBackend(tmp_path)
    with pytest.raises(UploadRejected, match="larger than 1 KB"):
        storage.save(io.BytesIO(b"x" * 2048), prefix="cv", suffix=".pdf", max_bytes=1024)
    with pytest.raises(UploadRejected, match="not a PDF"):
        storage.save(
            io.BytesIO(b"plain text"), prefix="cv", suffix=".pdf", max_bytes=1024, check=FILE_TYPES["pdf"].inspect
        )
    with pytest.raises(UploadRejected, match="empty"):
        storage.save(io.BytesIO(b""), prefix="cv", suffix=".pdf", max_bytes=1024)
    assert _files(tmp_path) == []


def test_a_crash_while_checking_leaves_no_file(tmp_path):
    def crash(path):
        raise MemoryError

    with pytest.raises(MemoryError):
        LocalBackend(tmp_path).save(io.BytesIO(pdf()), prefix="cv", suffix=".pdf", max_bytes=10**6, check=crash)
    assert _files(tmp_path) == []


def test_keys_outside_the_store_are_refused(tmp_path):
    storage = LocalBackend(tmp_path / "store")
    (tmp_path / "secret.txt").write_text("secret")
    for key in ("../secret.txt", "cv/../../secret.txt", "/etc/passwd", ".incoming/x", "."):
        with pytest.raises(InvalidKey):
            storage.open(key)
        with pytest.raises(InvalidKey):
            storage.delete(key)
    assert (tmp_path / "secret.txt").exists()


def test_the_backend_is_chosen_by_configuration(make_app, tmp_path):
    made = []

    @register_backend("test-recording")
    def recording(config):
        backend = LocalBackend(tmp_path / "elsewhere")
        made.append(config["STORAGE_BACKEND"])
        return backend

    try:
        app = make_app(STORAGE_BACKEND="test-recording")
        with app.app_context():
            assert isinstance(get_storage(), LocalBackend) and get_storage() is get_storage()
            assert get_storage().root == (tmp_path / "elsewhere").resolve()
        assert made == ["test-recording"]
        with make_app(STORAGE_BACKEND="s4").app_context(), pytest.raises(ConfigError, match="s4.*local"):
            get_storage()
    finally:
        BACKENDS.pop("test-recording")


def test_upload_limits_are_per_kind_and_the_request_cap_follows_the_largest():
    config = config_module.load({"MAX_UPLOAD_MB": "4", "SECRET_KEY": "x"})
    assert config["UPLOAD_KINDS"]["cv"].max_bytes == 4 * 1024 * 1024
    assert config["UPLOAD_KINDS"]["cv"].types == ("pdf", "docx")
    assert config["MAX_CONTENT_LENGTH"] == 3 * 4 * 1024 * 1024
    assert config_module.load({"SECRET_KEY": "x"})["UPLOAD_KINDS"]["cv"].max_bytes == 10 * 1024 * 1024
    assert config_module.load({"SECRET_KEY": "x"})["STORAGE_BACKEND"] == "local"
    for bad in ("ten", "0", "-1"):
        with pytest.raises(ConfigError, match="MAX_UPLOAD_MB"):
            config_module.load({"MAX_UPLOAD_MB": bad, "SECRET_KEY": "x"})


def test_store_upload_records_the_file_for_its_owner(app, factory):
    candidate = factory.candidate()
    content = docx("Ada")
    record = store_upload(
        io.BytesIO(content), "C:\\Users\\ada\\Ada Lovelace – CV.docx", "cv", owner=candidate, actor=candidate
    )
    db.session.expire_all()
    record = db.session.get(StoredFile, record.id)
    assert (record.owner_type, record.owner_id, record.kind) == ("users", candidate.id, "cv")
    assert record.original_name == "C:\\Users\\ada\\Ada Lovelace – CV.docx"
    assert record.name == "Ada Lovelace  CV.docx"
    assert record.content_type == FILE_TYPES["docx"].content_type
    assert record.size == len(content) and record.sha256 == hashlib.sha256(content).hexdigest()
    assert record.created_by_id == candidate.id and record.created_at is not None
    assert get_storage().open(record.storage_key).read() == content
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "file.store")).one()
    assert (entry.object_type, entry.object_id, entry.data["sha256"]) == ("stored_files", record.id, record.sha256)


def test_a_failed_transaction_takes_the_stored_bytes_and_record_with_it(app, factory):
    candidate = factory.candidate()
    with pytest.raises(RuntimeError), transaction():
        store_upload(io.BytesIO(pdf()), "cv.pdf", "cv", owner=candidate, actor=candidate)
        raise RuntimeError("a later step failed")
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
    assert _files(get_storage().root) == []


def test_an_upload_refused_by_its_kind_stores_nothing(app, factory):
    candidate = factory.candidate()
    with pytest.raises(UploadRejected, match="PDF or Word"):
        store_upload(io.BytesIO(b"#!/bin/sh"), "cv.sh", "cv", owner=candidate, actor=candidate)
    app.config["UPLOAD_KINDS"] = dict(app.config["UPLOAD_KINDS"])
    app.config["UPLOAD_KINDS"]["cv"] = app.config["UPLOAD_KINDS"]["cv"].__class__(
        label="CV", types=("pdf",), max_bytes=100
    )
    with pytest.raises(UploadRejected, match="Upload a PDF file"):
        store_upload(io.BytesIO(docx()), "cv.docx", "cv", owner=candidate, actor=candidate)
    with pytest.raises(UploadRejected, match="larger than 1 KB"):
        store_upload(io.BytesIO(pdf()), "cv.pdf", "cv", owner=candidate, actor=candidate)
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
    assert _files(get_storage().root) == []


@pytest.mark.parametrize(
    "sent, kept",
    [
        ("My CV.pdf", "My CV.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\fakepath\\cv.PDF", "cv.pdf"),
        ('"><script>.pdf', "script.pdf"),
        ("Zoë Müller.pdf", "Zoë Müller.pdf"),
        ("\u202egnp.pdf", "gnp.pdf"),
        (".pdf", "cv.pdf"),
    ],
)
def test_sanitised_names_keep_letters_and_the_extension_only(sent, kept):
    assert sanitised_name(sent, ".pdf", default="cv") == kept


def _independently_a_pdf(content: bytes) -> bool:
    return content.startswith(b"%PDF-") and b"%%EOF" in content[-2048:]


def _independently_a_docx(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            return archive.testzip() is None and {"[Content_Types].xml", "word/document.xml"} <= names
    except Exception:  # noqa: BLE001  anything zipfile cannot read is not a document
        return False


@st.composite
def damaged(draw, document: bytes) -> bytes:
    """A real document with a few bytes changed, or cut short."""
    content = bytearray(document)
    for _ in range(draw(st.integers(1, 4))):
        content[draw(st.integers(0, len(content) - 1))] = draw(st.integers(0, 255))
    return bytes(content[: draw(st.integers(1, len(content)))])


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(["pdf", "docx"]), data=st.data())
def test_inspection_of_arbitrary_bytes_accepts_only_real_documents_and_refuses_cleanly(tmp_path_factory, kind, data):
    content = data.draw(
        st.one_of(
            st.binary(max_size=2048),
            damaged(pdf() if kind == "pdf" else docx()),
            st.just(pdf()),
            st.just(docx()),
        )
    )
    root = tmp_path_factory.mktemp("inspect")
    storage = LocalBackend(root)
    try:
        saved = storage.save(
            io.BytesIO(content), prefix="t", suffix=f".{kind}", max_bytes=10**6, check=FILE_TYPES[kind].inspect
        )
    except UploadRejected as exc:
        message = str(exc)
        assert message[:1].isupper() and message.endswith(".") and "Traceback" not in message
        assert _files(root) == []
    else:
        assert (_independently_a_pdf if kind == "pdf" else _independently_a_docx)(content)
        assert storage.open(saved.key).read() == content
    if content == (pdf() if kind == "pdf" else docx()):
        assert _files(root), "a plain document of the right type was refused"


@settings(max_examples=50, deadline=None)
@given(names=st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=5, unique=True))
def test_docx_members_with_unsafe_paths_are_always_refused(tmp_path_factory, names):
    path = tmp_path_factory.mktemp("docx") / "cv.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
        for name in names:
            archive.writestr("../" + name, "x")
    with pytest.raises(UploadRejected, match="unsafe path"):
        FILE_TYPES["docx"].inspect(path)
