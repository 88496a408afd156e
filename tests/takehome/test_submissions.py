"""Handing in a take-home: several files or a zip or a repository link, versions kept, a receipt with
checksums (page and mail), the deadline judged by the server, and hostile uploads leaving nothing."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from portal.extensions import db
from portal.hiring.models import Application
from portal.storage.models import StoredFile
from portal.takehome.models import SUBMISSION_OWNER, Attempt, Submission
from portal.timeutil import utcnow
from tests.helpers import login, outbox

NOTES = b"# Notes\n\nThe crash came from a byte-order mark.\n"
FIX = b"def parse(line):\n    return line.strip()\n"


def _started(client, screen):
    login(client, screen.candidate)
    client.post(f"/applications/{screen.application.id}/technical", data={"technical_format": "take_home"})
    client.post(f"/applications/{screen.application.id}/takehome/start", data={})
    return f"/applications/{screen.application.id}/takehome/submissions"


def _submission_files() -> list[StoredFile]:
    db.session.expire_all()
    return list(db.session.scalars(select(StoredFile).where(StoredFile.owner_type == SUBMISSION_OWNER)))


def _stored_paths(app) -> set[Path]:
    return {p for p in Path(app.config["STORAGE_DIR"]).rglob("*") if p.is_file()}


def _zip(entries: dict[str, bytes], **kwargs) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", **kwargs) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_several_files_are_one_version_with_a_receipt_of_checksums(screen, client):
    url = _started(client, screen)
    response = client.post(url, data={"files": [(io.BytesIO(NOTES), "NOTES.md"), (io.BytesIO(FIX), "importer.py")]})
    assert response.status_code == 302 and response.headers["Location"].endswith("/takehome/submissions/1")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    for name, data in (("NOTES.md", NOTES), ("importer.py", FIX)):
        assert name in page and hashlib.sha256(data).hexdigest() in page and f"{len(data)} bytes" in page
    [mail] = outbox("takehome_receipt")
    assert mail.to_addr == screen.candidate.email
    assert hashlib.sha256(NOTES).hexdigest() in mail.body_text and "version 1" in mail.subject
    db.session.expire_all()
    application = db.session.get(Application, screen.application.id)
    assert application.whose_move() == "staff" and application.progress.step == "take_home_submitted"


def test_resubmitting_makes_a_new_version_and_keeps_the_old_one(screen, client, app):
    url = _started(client, screen)
    client.post(url, data={"files": [(io.BytesIO(NOTES), "NOTES.md")]})
    first = _submission_files()
    response = client.post(url, data={"files": [(io.BytesIO(_zip({"fix/importer.py": FIX})), "work.zip")]})
    assert response.status_code == 302
    versions = list(db.session.scalars(select(Submission).order_by(Submission.version)))
    assert [v.version for v in versions] == [1, 2]
    files = _submission_files()
    assert len(files) == 2 and all(Path(app.config["STORAGE_DIR"], f.storage_key).is_file() for f in files)
    assert first[0].id in {f.id for f in files}
    html = client.get(f"/applications/{screen.application.id}/takehome").get_data(as_text=True)
    assert "Version 1" in html and "Version 2" in html


def test_a_repository_link_must_be_https_to_a_named_host(screen, client):
    url = _started(client, screen)
    for bad in (
        "http://github.com/me/fix",
        "javascript:alert(1)",
        "https://user:pw@github.com/me/fix",
        "https://127.0.0.1/repo",
        "https://gitlab.internal/me/fix",
        "https://github.com/me/fix with space",
        "https://" + "a" * 600 + ".com",
        "https://github.com/\u202eevil",
        "https://github.com/me/\u200bfix",
        "https://github.com/me/fix\u2066",
    ):
        response = client.post(url, data={"repository_url": bad})
        assert response.status_code == 400, bad
        assert 'id="upload-error"' in response.get_data(as_text=True), bad
    assert db.session.scalar(select(func.count(Submission.id))) == 0
    assert client.post(url, data={"repository_url": "https://github.com/tomo/importer-fix"}).status_code == 302
    assert db.session.scalar(select(Submission.repository_url)) == "https://github.com/tomo/importer-fix"


def test_hostile_uploads_are_refused_and_leave_no_file_and_no_record(screen, client, app):
    url = _started(client, screen)
    before = _stored_paths(app)
    bomb = _zip({"big.txt": b"0" * (3 * 1024 * 1024)}, compression=zipfile.ZIP_DEFLATED)
    cases = {
        "a program named .py": [(io.BytesIO(b"\x7fELF" + b"\x00" * 200), "fix.py")],
        "a PDF, not allowed by this assignment": [(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "notes.pdf")],
        "a zip bomb": [(io.BytesIO(bomb), "work.zip")],
        "a zip with ../": [(io.BytesIO(_zip({"../../evil.py": FIX})), "work.zip")],
        "a zip with an absolute path": [(io.BytesIO(_zip({"/etc/passwd": b"x"})), "work.zip")],
        "a nested archive": [(io.BytesIO(_zip({"inner.zip": _zip({"a.py": FIX})})), "work.zip")],
        "a file cut off half way": [(io.BytesIO(_zip({"a.py": FIX})[:-30]), "work.zip")],
        "too many files": [(io.BytesIO(FIX), f"f{i}.py") for i in range(6)],
        "one good file then a bad one": [(io.BytesIO(NOTES), "NOTES.md"), (io.BytesIO(b"\xff\xfe\x00"), "bad.md")],
        "the same name twice": [(io.BytesIO(NOTES), "NOTES.md"), (io.BytesIO(FIX), "NOTES.md")],
        "nothing at all": [],
    }
    for case, files in cases.items():
        response = client.post(url, data={"files": files} if files else {})
        assert response.status_code == 400, case
        assert 'id="upload-error"' in response.get_data(as_text=True), case
    assert _submission_files() == [] and db.session.scalar(select(func.count(Submission.id))) == 0
    assert _stored_paths(app) == before
    assert not list(Path(app.config["STORAGE_DIR"], ".incoming").iterdir())


def test_a_file_over_the_assignments_limit_is_refused_whole(screen, client, app):
    url = _started(client, screen)
    before = _stored_paths(app)
    big = io.BytesIO(b"x" * (5 * 1024 * 1024 + 1))
    response = client.post(url, data={"files": [(big, "data.txt")]})
    assert response.status_code == 400 and "larger than 5 MB" in response.get_data(as_text=True)
    assert _stored_paths(app) == before and _submission_files() == []


def test_after_the_deadline_uploads_are_refused_and_what_was_handed_in_stays(screen, client, app):
    url = _started(client, screen)
    client.post(url, data={"files": [(io.BytesIO(NOTES), "NOTES.md")]})
    kept = _submission_files()
    attempt = db.session.scalar(select(Attempt))
    attempt.started_at = utcnow() - timedelta(hours=5)
    attempt.deadline = attempt.deadline_for(attempt.started_at)
    db.session.commit()
    link = "https://github.com/tomo/importer-fix"
    response = client.post(url, data={"files": [(io.BytesIO(FIX), "importer.py")], "repository_url": link})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "deadline has passed" in page
    assert f'value="{link}"' in page  # what was typed is kept
    assert _submission_files() == kept and db.session.scalar(select(func.count(Submission.id))) == 1
    assert "uploads are closed" in client.get(f"/applications/{screen.application.id}/takehome").get_data(as_text=True)


def test_late_work_is_accepted_and_flagged_where_the_assignment_allows_it(screen, client):
    screen.assignment.late_submissions_allowed = True
    db.session.commit()
    url = _started(client, screen)
    attempt = db.session.scalar(select(Attempt))
    attempt.started_at = utcnow() - timedelta(hours=5)
    attempt.deadline = attempt.deadline_for(attempt.started_at)
    db.session.commit()
    response = client.post(url, data={"files": [(io.BytesIO(FIX), "importer.py")]})
    assert response.status_code == 302
    assert db.session.scalar(select(Submission.late)) is True
    assert "marked late" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_failing_disk_write_keeps_earlier_versions(screen, client, app, monkeypatch):
    url = _started(client, screen)
    client.post(url, data={"files": [(io.BytesIO(NOTES), "NOTES.md")]})
    kept = _submission_files()
    from portal.storage.backends import LocalBackend

    def full_disk(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(LocalBackend, "save", full_disk)
    response = client.post(url, data={"files": [(io.BytesIO(FIX), "importer.py")]})
    assert response.status_code == 500
    monkeypatch.undo()
    assert _submission_files() == kept and db.session.scalar(select(func.count(Submission.id))) == 1
    assert all(Path(app.config["STORAGE_DIR"], f.storage_key).is_file() for f in kept)


def test_another_candidate_cannot_hand_in_or_read_a_receipt(screen, client, app, factory):
    url = _started(client, screen)
    client.post(url, data={"files": [(io.BytesIO(NOTES), "NOTES.md")]})
    other = app.test_client()
    login(other, factory.candidate("nosy@cand.example"))
    assert other.post(url, data={"files": [(io.BytesIO(FIX), "importer.py")]}).status_code == 404
    assert other.get(f"{url}/1").status_code == 404
    assert db.session.scalar(select(func.count(Submission.id))) == 1


def test_a_request_over_the_cap_gets_the_413_page_and_stores_nothing(screen, client, app):
    url = _started(client, screen)
    before = _stored_paths(app)
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = client.post(url, data={"files": [(io.BytesIO(b"x" * (2 * 1024 * 1024)), "data.txt")]})
    assert response.status_code == 413
    assert _stored_paths(app) == before and db.session.scalar(select(func.count(Submission.id))) == 0


def test_the_receipt_stays_readable_after_the_application_moves_on(screen, client):
    # The receipt mail links to it: once the recruiter passes the candidate, it still opens.
    from portal.hiring import process
    from portal.hiring import services as hiring

    url = _started(client, screen)
    assert client.post(url, data={"files": [(io.BytesIO(NOTES), "NOTES.md")]}).status_code == 302
    hiring.move(screen.application.id, process.Action.ADVANCE, screen.recruiter)
    page = client.get(f"/applications/{screen.application.id}/takehome/submissions/1")
    assert page.status_code == 200 and hashlib.sha256(NOTES).hexdigest() in page.get_data(as_text=True)
    assert client.get(f"/applications/{screen.application.id}/takehome/submissions/2").status_code == 404


def test_starting_while_the_format_changes_in_another_tab_answers_without_an_error(screen, client, app):
    # The start is refused when the take-home is gone by the time it runs; the answer is the way back
    # with the reason, never a server error.
    from tests.helpers import _run_together

    application_id = screen.application.id
    login(client, screen.candidate)
    for _ in range(3):
        client.post(f"/applications/{application_id}/technical", data={"technical_format": "take_home"})
        clients = []
        for _ in range(4):
            other = app.test_client()
            login(other, screen.candidate)
            other.race_token = other.csrf_token()
            clients.append(other)

        def send(index: int) -> int:
            other = clients[index]
            if index == 0:
                data = {"technical_format": "live", "csrf_token": other.race_token}
                return other.post(f"/applications/{application_id}/technical", data=data, csrf=False).status_code
            data = {"csrf_token": other.race_token}
            return other.post(f"/applications/{application_id}/takehome/start", data=data, csrf=False).status_code

        statuses = _run_together(4, send)
        assert all(status < 500 for status in statuses), statuses
        if any(s == 302 for s in statuses[1:]) and db.session.scalar(select(Attempt.status)) == "in_progress":
            break  # the clock started before the switch: the choice is locked from here
