"""More time: an accommodation before the clock starts, an extension before the deadline; the team
grants (moving the deadline) or declines with a reason; both sides hear of it; every step audited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.takehome.models import Attempt, TimeRequest
from portal.timeutil import utcnow
from tests.helpers import login, outbox


def _attempt() -> Attempt:
    db.session.expire_all()
    return db.session.scalar(select(Attempt))


def _chosen(client, screen) -> str:
    login(client, screen.candidate)
    client.post(f"/applications/{screen.application.id}/technical", data={"technical_format": "take_home"})
    return f"/applications/{screen.application.id}/takehome"


def _request_id() -> int:
    db.session.expire_all()
    return db.session.scalar(select(TimeRequest.id).order_by(TimeRequest.id.desc()))


def test_an_accommodation_granted_before_the_start_lengthens_the_clock(screen, client, app):
    base = _chosen(client, screen)
    response = client.post(f"{base}/time", data={"reason": "I use a screen reader; reading code takes me longer."})
    assert response.status_code == 302
    asked = outbox("takehome_time_requested")
    assert {m.to_addr for m in asked} == {screen.recruiter.email, screen.manager.email}
    assert "screen reader" in asked[0].body_text
    recruiter = app.test_client()
    login(recruiter, screen.recruiter)
    response = recruiter.post(
        f"/staff/applications/{screen.application.id}/takehome/time/{_request_id()}",
        data={"decision": "grant", "minutes": "60", "answer": "Of course: one more hour."},
    )
    assert response.status_code == 302
    assert _attempt().accommodation_minutes == 60
    [answered] = outbox("takehome_time_answered")
    assert answered.to_addr == screen.candidate.email and "60 more minutes" in answered.body_text
    client.post(f"{base}/start", data={})
    attempt = _attempt()
    assert attempt.deadline - attempt.started_at == timedelta(hours=5)
    assert "plus 60 minutes of extra time" in client.get(base).get_data(as_text=True)


def test_an_extension_moves_the_deadline_and_is_audited(screen, client, app):
    base = _chosen(client, screen)
    client.post(f"{base}/start", data={})
    first = _attempt().deadline
    client.post(f"{base}/time", data={"reason": "A power cut took two hours."})
    manager = app.test_client()
    login(manager, screen.manager)
    manager.post(
        f"/staff/applications/{screen.application.id}/takehome/time/{_request_id()}",
        data={"decision": "grant", "minutes": "120", "answer": "Two more hours."},
    )
    attempt = _attempt()
    assert attempt.deadline == first + timedelta(minutes=120) and attempt.extension_minutes == 120
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "takehome.time_answered"))
    assert entry.actor_id == screen.manager.id and entry.data["minutes"] == 120
    assert entry.data["deadline_before"] == first.isoformat()
    assert (
        db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "takehome.time_requested")) == 1
    )


def test_a_declined_request_keeps_the_deadline_and_tells_the_candidate_why(screen, client, app):
    base = _chosen(client, screen)
    client.post(f"{base}/start", data={})
    first = _attempt().deadline
    client.post(f"{base}/time", data={"reason": "I would like a weekend."})
    recruiter = app.test_client()
    login(recruiter, screen.recruiter)
    recruiter.post(
        f"/staff/applications/{screen.application.id}/takehome/time/{_request_id()}",
        data={"decision": "decline", "minutes": "", "answer": "The window is the same for everyone."},
    )
    assert _attempt().deadline == first
    [answered] = outbox("takehome_time_answered")
    assert "cannot grant" in answered.body_text and "same for everyone" in answered.body_text
    assert "Not granted" in client.get(base).get_data(as_text=True)


def test_bad_requests_are_refused_with_a_message_and_nothing_stored(screen, client, app, factory):
    base = _chosen(client, screen)
    for reason in ("   ", "\u200b", "Dyslexia\x00", "late \u202ebus"):
        response = client.post(f"{base}/time", data={"reason": reason})
        assert response.status_code == 400 and 'id="time-error"' in response.get_data(as_text=True), reason
    assert db.session.scalar(select(func.count(TimeRequest.id))) == 0
    client.post(f"{base}/time", data={"reason": "Dyslexia."})
    response = client.post(f"{base}/time", data={"reason": "Again."})
    assert response.status_code == 400 and "no answer yet" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(TimeRequest.id))) == 1

    url = f"/staff/applications/{screen.application.id}/takehome/time/{_request_id()}"
    recruiter = app.test_client()
    login(recruiter, screen.recruiter)
    for data, message in (
        ({"decision": "grant", "minutes": "60", "answer": ""}, "Write the answer"),
        ({"decision": "grant", "minutes": "60", "answer": "Ok\x00"}, "control characters"),
        ({"decision": "grant", "minutes": "5", "answer": "Ok."}, "from 15 minutes"),
        ({"decision": "grant", "minutes": "lots", "answer": "Ok."}, "whole number"),
        ({"decision": "maybe", "minutes": "60", "answer": "Ok."}, "Grant or Decline"),
    ):
        response = recruiter.post(url, data=data)
        assert response.status_code == 400 and message in response.get_data(as_text=True), data
    assert _attempt().accommodation_minutes == 0 and outbox("takehome_time_answered") == []
    other = app.test_client()
    login(other, factory.staff("hiring_manager", email="else@staff.example"))
    assert other.post(url, data={"decision": "grant", "minutes": "60", "answer": "Ok."}).status_code == 404
    assert _attempt().accommodation_minutes == 0


def test_an_extension_is_asked_before_the_deadline(screen, client):
    base = _chosen(client, screen)
    client.post(f"{base}/start", data={})
    attempt = _attempt()
    attempt.started_at = utcnow() - timedelta(hours=5)
    attempt.deadline = attempt.deadline_for(attempt.started_at)
    db.session.commit()
    response = client.post(f"{base}/time", data={"reason": "Too late?"})
    assert response.status_code == 400 and "before the deadline" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(TimeRequest.id))) == 0
