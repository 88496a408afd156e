"""The technical-screen choice: both formats side by side, the choice and its lock, staff overriding it."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.hiring.models import Application
from portal.scheduling import services as scheduling
from portal.takehome import library
from portal.takehome.models import Attempt
from tests.helpers import login
from tests.takehome.conftest import NOW, at


def _format(application_id: int) -> str | None:
    db.session.expire_all()
    application = db.session.get(Application, application_id)
    return application.progress.format if application.progress else None


def _attempts(application_id: int) -> list[Attempt]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(Attempt).where(Attempt.application_id == application_id).order_by(Attempt.id))
    )


def test_candidate_compares_both_formats_side_by_side(screen, client):
    login(client, screen.candidate)
    home = client.get(f"/applications/{screen.application.id}").get_data(as_text=True)
    assert "Compare the formats and choose" in home
    page = client.get(f"/applications/{screen.application.id}/technical")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Live technical screen" in html and "Take-home" in html
    for heading in ("What it involves", "Time needed", "Who you meet", "How it is assessed", "How to prepare"):
        assert html.count(heading) == 2, heading
    assert "60 minutes" in html and "4 hours from the moment you start" in html
    assert "Diagnosis" in html and "(60%)" in html  # the rubric's weights, as shares of the score
    # The brief itself opens with the clock, not before.
    assert "Our importer crashes" not in html


def test_choosing_the_take_home_leads_to_its_overview_and_pauses_the_answer_clock(screen, client):
    login(client, screen.candidate)
    response = client.post(f"/applications/{screen.application.id}/technical", data={"technical_format": "take_home"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/applications/{screen.application.id}/takehome")
    assert _format(screen.application.id) == "take_home"
    [attempt] = _attempts(screen.application.id)
    assert attempt.status == "not_started" and attempt.started_at is None and attempt.time_limit_minutes == 240
    application = db.session.get(Application, screen.application.id)
    assert application.whose_move() == "candidate" and application.sla_due_at() is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "technical_format.choose"))
    assert entry.data == {"before": None, "after": "take_home"}


def test_choosing_live_leads_to_booking_the_live_technical_interview(screen, client):
    login(client, screen.candidate)
    response = client.post(f"/applications/{screen.application.id}/technical", data={"technical_format": "live"})
    assert response.headers["Location"].endswith(f"/applications/{screen.application.id}/book")
    application = db.session.get(Application, screen.application.id)
    assert [p.kind_key for p in scheduling.planned_interviews(application)] == ["live_technical"]
    assert "Choose a time for your technical screen" in client.get(f"/applications/{application.id}").get_data(
        as_text=True
    )


def test_the_choice_changes_freely_until_a_live_slot_is_booked_then_it_is_locked(screen, client):
    login(client, screen.candidate)
    url = f"/applications/{screen.application.id}/technical"
    client.post(url, data={"technical_format": "take_home"})
    client.post(url, data={"technical_format": "live"})
    assert _format(screen.application.id) == "live"
    assert [a.status for a in _attempts(screen.application.id)] == ["cancelled"]
    scheduling.book(screen.application.id, at(2, 10), screen.candidate, now=NOW)

    response = client.post(url, data={"technical_format": "take_home"})
    assert response.status_code == 409
    assert "Your live screen is booked" in response.get_data(as_text=True)
    assert _format(screen.application.id) == "live"
    assert [a.status for a in _attempts(screen.application.id)] == ["cancelled"]
    # The page shows the locked choice without a way to change it.
    html = client.get(url).get_data(as_text=True)
    assert "Save my choice" not in html and "Confirm my choice" not in html


def test_the_choice_is_locked_once_the_take_home_clock_starts(screen, client):
    login(client, screen.candidate)
    url = f"/applications/{screen.application.id}/technical"
    client.post(url, data={"technical_format": "take_home"})
    client.post(f"/applications/{screen.application.id}/takehome/start", data={})
    response = client.post(url, data={"technical_format": "live"})
    assert response.status_code == 409 and "clock has started" in response.get_data(as_text=True)
    assert _format(screen.application.id) == "take_home"
    assert [a.status for a in _attempts(screen.application.id)] == ["in_progress"]


def test_a_format_the_position_does_not_offer_is_refused_and_not_shown(screen, client, factory):
    admin = factory.staff("admin")
    library.set_position_offer(admin, screen.position, formats="live", assignment_id=screen.assignment.id)
    login(client, screen.candidate)
    url = f"/applications/{screen.application.id}/technical"
    html = client.get(url).get_data(as_text=True)
    assert "Live technical screen" in html and "How to prepare" in html and html.count("What it involves") == 1
    assert "Diagnose the importer crash" not in html
    for bad in ({"technical_format": "take_home"}, {"technical_format": "carrier pigeon"}, {}):
        response = client.post(url, data=bad)
        assert response.status_code == 400, bad
        assert 'class="field-error"' in response.get_data(as_text=True)
    assert _format(screen.application.id) is None and _attempts(screen.application.id) == []


def test_a_take_home_only_position_shows_only_the_take_home(screen, client, factory):
    library.set_position_offer(
        factory.staff("admin"), screen.position, formats="take_home", assignment_id=screen.assignment.id
    )
    login(client, screen.candidate)
    html = client.get(f"/applications/{screen.application.id}/technical").get_data(as_text=True)
    assert "Diagnose the importer crash" in html and "Live technical screen" not in html
    response = client.post(f"/applications/{screen.application.id}/technical", data={"technical_format": "live"})
    assert response.status_code == 400 and _format(screen.application.id) is None


def test_another_candidate_reaches_none_of_the_technical_screen_pages(screen, app, factory):
    other = app.test_client()
    login(other, factory.candidate("nosy@cand.example"))
    base = f"/applications/{screen.application.id}"
    assert other.get(f"{base}/technical").status_code == 404
    assert other.post(f"{base}/technical", data={"technical_format": "take_home"}).status_code == 404
    assert other.get(f"{base}/takehome").status_code == 404
    assert other.post(f"{base}/takehome/start", data={}).status_code == 404
    assert other.get(f"{base}/takehome/files/1").status_code == 404
    assert _format(screen.application.id) is None


def test_staff_override_needs_a_reason_and_is_audited(screen, app, factory):
    recruiter = app.test_client()
    login(recruiter, screen.recruiter)
    url = f"/staff/applications/{screen.application.id}/technical-format"
    response = recruiter.post(url, data={"technical_format": "take_home", "reason": "  "})
    assert response.status_code == 400 and "Write why you change the format" in response.get_data(as_text=True)
    assert _format(screen.application.id) is None
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action.like("technical_format%"))) == 0

    response = recruiter.post(url, data={"technical_format": "take_home", "reason": "Asked by phone: no camera."})
    assert response.status_code == 302
    assert _format(screen.application.id) == "take_home"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "technical_format.override"))
    assert entry.actor_id == screen.recruiter.id
    assert entry.data == {"before": None, "after": "take_home", "reason": "Asked by phone: no camera."}
    page = recruiter.get(f"/staff/applications/{screen.application.id}").get_data(as_text=True)
    assert "Format: <strong>Take-home</strong>" in page


def test_staff_override_stops_a_running_clock_and_keeps_the_attempt_as_history(screen, app, client):
    login(client, screen.candidate)
    client.post(f"/applications/{screen.application.id}/technical", data={"technical_format": "take_home"})
    client.post(f"/applications/{screen.application.id}/takehome/start", data={})
    manager = app.test_client()
    login(manager, screen.manager)
    response = manager.post(
        f"/staff/applications/{screen.application.id}/technical-format",
        data={"technical_format": "live", "reason": "Family emergency: a live screen next week instead."},
    )
    assert response.status_code == 302
    assert _format(screen.application.id) == "live"
    [attempt] = _attempts(screen.application.id)
    assert attempt.status == "cancelled" and attempt.started_at is not None
    assert client.get(f"/applications/{screen.application.id}/takehome/files/1").status_code == 404


def test_staff_override_refuses_while_a_live_interview_holds_its_time(screen, app, client):
    login(client, screen.candidate)
    client.post(f"/applications/{screen.application.id}/technical", data={"technical_format": "live"})
    scheduling.book(screen.application.id, at(2, 10), screen.candidate, now=NOW)
    recruiter = app.test_client()
    login(recruiter, screen.recruiter)
    response = recruiter.post(
        f"/staff/applications/{screen.application.id}/technical-format",
        data={"technical_format": "take_home", "reason": "Candidate asked."},
    )
    assert response.status_code == 400 and "cancel it first" in response.get_data(as_text=True)
    assert _format(screen.application.id) == "live" and _attempts(screen.application.id) == []


def test_only_who_runs_the_application_overrides(screen, app, factory):
    url = f"/staff/applications/{screen.application.id}/technical-format"
    data = {"technical_format": "take_home", "reason": "Because."}
    other_manager = app.test_client()
    login(other_manager, factory.staff("hiring_manager", email="else@staff.example"))
    assert other_manager.post(url, data=dict(data)).status_code == 404
    interviewer = app.test_client()
    login(interviewer, factory.staff("interviewer", email="int@staff.example"))
    assert interviewer.post(url, data=dict(data)).status_code == 403
    assert _format(screen.application.id) is None
