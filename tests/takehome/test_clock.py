"""The take-home clock: the overview, starting when ready, the deadline the server sets, shown in the
candidate's zone with a countdown that needs no JavaScript to make sense, and the paused answer clock."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.hiring.models import Application
from portal.takehome.models import Attempt
from portal.timeutil import utcnow
from tests.helpers import login
from tests.takehome.conftest import STARTER


def _attempt(application_id: int) -> Attempt:
    db.session.expire_all()
    return db.session.scalar(select(Attempt).where(Attempt.application_id == application_id))


def _choose_take_home(client, screen):
    login(client, screen.candidate)
    client.post(f"/applications/{screen.application.id}/technical", data={"technical_format": "take_home"})


def test_the_overview_tells_the_limits_and_the_rubric_but_keeps_the_brief_closed(screen, client):
    _choose_take_home(client, screen)
    html = client.get(f"/applications/{screen.application.id}/takehome").get_data(as_text=True)
    assert "4 hours from the moment you start" in html
    assert "zip archive or plain text or source code. At most 5 files, up to 5 MB each and 20 MB together" in html
    assert "Diagnosis" in html and "Finds the real cause" in html
    assert "Start the clock now" in html and "(Asia/Tokyo)" in html
    assert "Our importer crashes" not in html and "importer.py" not in html
    file_id = db.session.scalar(select(Attempt)).assignment_id  # any id: nothing is served before the start
    assert client.get(f"/applications/{screen.application.id}/takehome/files/{file_id}").status_code == 404


def test_starting_sets_the_deadline_on_the_server_and_opens_the_brief(screen, client):
    _choose_take_home(client, screen)
    before = utcnow()
    # Whatever a client sends about time is not read: the server's clock sets the start.
    response = client.post(
        f"/applications/{screen.application.id}/takehome/start",
        data={"started_at": "2000-01-01T00:00:00Z", "deadline": "2099-01-01T00:00:00Z"},
    )
    assert response.status_code == 302
    attempt = _attempt(screen.application.id)
    assert attempt.status == "in_progress"
    assert before <= attempt.started_at <= utcnow()
    assert attempt.deadline == attempt.started_at + timedelta(hours=4)

    html = client.get(f"/applications/{screen.application.id}/takehome").get_data(as_text=True)
    local = attempt.deadline.astimezone(screen.candidate_zone).strftime("%a %d %b %Y, %H:%M")
    assert f"{local} (Asia/Tokyo)" in html  # readable without any script
    assert "Our importer crashes" in html and "importer.py" in html
    # The brief is sanitised: no script, no javascript: link; the https link stays.
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html and 'href="javascript:' not in html
    assert 'href="https://logs.example/run/1"' in html
    # The countdown and the upload progress are same-origin files (the CSP allows scripts from 'self'
    # only), never inline.
    assert re.findall(r"<script[^>]*>", html) == [
        '<script src="/static/js/portal.js" defer>',
        '<script src="/static/js/countdown.js" defer>',
        '<script src="/static/js/upload.js" defer>',
    ]


def test_the_starter_files_download_once_started_as_attachments_never_sniffed(screen, client):
    _choose_take_home(client, screen)
    client.post(f"/applications/{screen.application.id}/takehome/start", data={})
    html = client.get(f"/applications/{screen.application.id}/takehome").get_data(as_text=True)
    path = re.search(r'href="(/applications/\d+/takehome/files/\d+)"', html).group(1)
    response = client.get(path)
    assert response.status_code == 200 and response.data == STARTER
    assert response.headers["Content-Disposition"] == 'attachment; filename="importer.py"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "text/plain"


def test_the_answer_clock_stands_still_while_the_candidate_works(screen, client):
    _choose_take_home(client, screen)
    client.post(f"/applications/{screen.application.id}/takehome/start", data={})
    db.session.expire_all()
    application = db.session.get(Application, screen.application.id)
    assert application.whose_move() == "candidate" and application.sla_due_at() is None
    assert application.progress.step == "take_home_working"
    page = client.get(f"/applications/{screen.application.id}").get_data(as_text=True)
    assert "Your move:" in page and "You will hear from us by" not in page and "Open the brief" in page


def test_the_clock_starts_once_and_only_within_the_days_to_start(screen, client):
    _choose_take_home(client, screen)
    start = f"/applications/{screen.application.id}/takehome/start"
    assert client.post(start, data={}).status_code == 302
    first = _attempt(screen.application.id).deadline
    again = client.post(start, data={})
    assert again.status_code == 409 and "already started" in again.get_data(as_text=True)
    assert _attempt(screen.application.id).deadline == first


def test_a_start_after_the_window_closed_is_refused_and_changes_nothing(screen, client):
    _choose_take_home(client, screen)
    attempt = _attempt(screen.application.id)
    attempt.start_by = utcnow() - timedelta(minutes=1)
    db.session.commit()
    html = client.get(f"/applications/{screen.application.id}/takehome").get_data(as_text=True)
    assert "The time to start this take-home ended" in html and "Start the clock now" not in html
    response = client.post(f"/applications/{screen.application.id}/takehome/start", data={})
    assert response.status_code == 409 and "has passed" in response.get_data(as_text=True)
    attempt = _attempt(screen.application.id)
    assert attempt.started_at is None and attempt.deadline is None and attempt.status == "not_started"


def test_granted_extra_time_extends_the_deadline(screen, client):
    _choose_take_home(client, screen)
    attempt = _attempt(screen.application.id)
    attempt.accommodation_minutes = 90
    db.session.commit()
    client.post(f"/applications/{screen.application.id}/takehome/start", data={})
    attempt = _attempt(screen.application.id)
    assert attempt.deadline - attempt.started_at == timedelta(hours=4, minutes=90)
    attempt.extension_minutes = 30
    assert attempt.deadline_for(attempt.started_at) - attempt.started_at == timedelta(hours=6)


def test_a_live_choice_has_no_take_home_to_start(screen, client):
    login(client, screen.candidate)
    client.post(f"/applications/{screen.application.id}/technical", data={"technical_format": "live"})
    assert client.get(f"/applications/{screen.application.id}/takehome").status_code == 302
    assert client.post(f"/applications/{screen.application.id}/takehome/start", data={}).status_code == 302
    assert _attempt(screen.application.id) is None


def test_the_dashboard_cards_say_what_the_application_pages_say(screen, client, app, factory):
    """The dashboard reads its cards in one column query; each card must agree with the application's
    own page on where it stands, whose move it is and the answer-by date, in every state."""
    from portal.hiring import candidate_read, process
    from portal.hiring import services as hiring

    candidate = screen.candidate
    _choose_take_home(client, screen)
    client.post(f"/applications/{screen.application.id}/takehome/start")  # the move is the candidate's
    waiting = factory.application(candidate, factory.position(screen.recruiter), actor=screen.recruiter)
    rejected = factory.application(candidate, factory.position(screen.recruiter), actor=screen.recruiter)
    hiring.move(rejected.id, process.Action.REJECT, screen.recruiter, feedback="Thank you for your time.")
    fields = (
        "id position_id position_title position_team position_closed status status_label is_active "
        "step_number step_count stage_id stage_name stage_summary next_step whose_move next_action "
        "due_at overdue reapply_after created_at offer"
    ).split()
    db.session.expire_all()
    with app.test_request_context():
        cards = candidate_read.applications_for(candidate)
        assert [c.id for c in cards] == [rejected.id, waiting.id, screen.application.id]
        for card in cards:
            page = candidate_read.application_for(candidate, card.id)
            assert {f: getattr(card, f) for f in fields} == {f: getattr(page, f) for f in fields}
    by_id = {c.id: c for c in cards}
    assert by_id[screen.application.id].whose_move == "candidate" and by_id[screen.application.id].due_at is None
    assert by_id[screen.application.id].next_action
    assert by_id[waiting.id].whose_move == "staff" and by_id[waiting.id].due_at is not None
    assert by_id[rejected.id].whose_move is None and by_id[rejected.id].reapply_after is not None
