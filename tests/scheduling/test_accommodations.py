"""Accommodations: the candidate asks before booking, the recruiter answers, and granted extra time
lengthens every interview offered and booked after."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.scheduling import services as scheduling
from portal.scheduling.models import AccommodationRequest
from portal.templating import iso
from tests.helpers import login, outbox


def test_granted_extra_time_lengthens_the_interviews_booked_after(team, factory, app, client):
    candidate = factory.candidate("ada@cand.example")
    application = factory.application(candidate, team.position, advances=1, actor=team.recruiter)
    login(client, candidate)
    refused = client.post(f"/applications/{application.id}/accommodation", data={"kinds": ["teleport"]})
    assert refused.status_code == 400 and db.session.scalars(select(AccommodationRequest)).all() == []
    empty = client.post(f"/applications/{application.id}/accommodation", data={})
    assert empty.status_code == 400 and "Choose what would help" in empty.get_data(as_text=True)
    sent = client.post(
        f"/applications/{application.id}/accommodation",
        data={"kinds": ["extra_time", "breaks"], "details": "I process spoken questions more slowly."},
    )
    assert sent.status_code == 302
    [request] = db.session.scalars(select(AccommodationRequest)).all()
    [mail] = outbox("accommodation_requested")
    assert mail.to_addr == team.recruiter.email and "more slowly" in mail.body_text

    recruiter = app.test_client()
    login(recruiter, team.recruiter)
    page = recruiter.get(f"/staff/applications/{application.id}").get_data(as_text=True)
    assert "Breaks between interviews, Extra time" in page and "Waiting for your answer" in page
    unanswered = recruiter.post(
        f"/staff/applications/{application.id}/accommodations/{request.id}",
        data={"decision": "grant", "extra_minutes": "15", "answer": ""},
    )
    assert unanswered.status_code == 302
    db.session.expire_all()
    assert db.session.get(AccommodationRequest, request.id).status == "pending"
    recruiter.post(
        f"/staff/applications/{application.id}/accommodations/{request.id}",
        data={"decision": "grant", "extra_minutes": "15", "answer": "Of course: 15 more minutes each."},
    )
    db.session.expire_all()
    assert (
        db.session.get(AccommodationRequest, request.id).status,
        db.session.get(AccommodationRequest, request.id).extra_minutes,
    ) == ("granted", 15)
    [answered] = outbox("accommodation_answered")
    assert answered.to_addr == candidate.email and "15 minutes longer" in answered.body_text

    offer = scheduling.offer(application)
    assert offer.steps[0].minutes == 45 and offer.loop_minutes == 45
    client.post(f"/applications/{application.id}/book", data={"start": iso(offer.starts[0])})
    [interview] = scheduling.current_booking(application)
    assert interview.minutes == 45


def test_only_who_runs_the_application_answers(team, factory, app):
    candidate = factory.candidate()
    application = factory.application(candidate, team.position, advances=1, actor=team.recruiter)
    client = app.test_client()
    login(client, candidate)
    client.post(f"/applications/{application.id}/accommodation", data={"kinds": ["interpreter"]})
    [request] = db.session.scalars(select(AccommodationRequest)).all()
    engineer = app.test_client()
    login(engineer, team.engineers[0])
    response = engineer.post(
        f"/staff/applications/{application.id}/accommodations/{request.id}",
        data={"decision": "grant", "extra_minutes": "0", "answer": "Yes"},
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(AccommodationRequest, request.id).status == "pending"
