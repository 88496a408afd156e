"""The offer: made after a hire by whoever runs the position, with the team's feedback; the candidate
reads it on their page and accepts or declines it once; the recruiter is told."""

from __future__ import annotations

import re

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.errors import TransitionNotAllowed
from portal.extensions import db
from portal.feedback import decision
from portal.feedback.outcome_models import Offer
from portal.hiring import process
from portal.hiring import services as hiring
from portal.timeutil import utcnow
from tests.feedback.helpers import unanimous_team
from tests.helpers import field_error, login, outbox
from tests.security.world import table_snapshot


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


@pytest.fixture
def hired(app, team, factory):
    application = factory.application(
        factory.candidate(name="Hope Hired"), team.position, advances=5, actor=team.recruiter
    )
    manager = unanimous_team(application)
    decision.record(application.id, manager)
    return application


def _offer_form(**extra):
    data = {
        "role_title": "Senior Engineer",
        "start_date": (utcnow().date() + timedelta(days=30)).isoformat(),
        "note": "Salary as discussed.",
        "feedback": "Your **system design** convinced the team.",
        "action": "publish",
    }
    data.update(extra)
    return data


def _offer(application):
    db.session.expire_all()
    return db.session.scalar(select(Offer).where(Offer.application_id == application.id))


def test_the_recruiter_makes_the_offer_and_the_candidate_reads_it_with_the_feedback(app, team, hired):
    client = _client(app, team.recruiter)
    assert "Make the offer" in client.get(f"/staff/applications/{hired.id}").get_data(as_text=True)
    preview = client.post(f"/staff/applications/{hired.id}/offer", data=_offer_form(action="preview"))
    assert preview.status_code == 200 and "<strong>system design</strong>" in preview.get_data(as_text=True)
    assert _offer(hired) is None
    assert client.post(f"/staff/applications/{hired.id}/offer", data=_offer_form()).status_code == 302
    offer = _offer(hired)
    assert offer.status == "offered" and offer.role_title == "Senior Engineer"
    page = _client(app, hired.candidate).get(f"/applications/{hired.id}").get_data(as_text=True)
    assert "Senior Engineer" in page and "Salary as discussed." in page
    assert "<strong>system design</strong>" in page and "I accept the offer" in page
    [mail] = outbox("offer_made")
    assert mail.to_addr == hired.candidate.email and "Senior Engineer" in mail.body_text
    # One offer per application.
    again = client.post(f"/staff/applications/{hired.id}/offer", data=_offer_form(role_title="Other"))
    assert again.status_code == 409 and _offer(hired).role_title == "Senior Engineer"


def test_bad_offer_input_is_answered_next_to_the_field_and_nothing_is_written(app, team, hired):
    client = _client(app, team.recruiter)
    past = client.post(
        f"/staff/applications/{hired.id}/offer",
        data=_offer_form(start_date=(utcnow().date() - timedelta(days=1)).isoformat()),
    )
    assert past.status_code == 400 and "The start date is in the past." in past.get_data(as_text=True)
    # Each problem is told next to its own field.
    bidi = client.post(f"/staff/applications/{hired.id}/offer", data=_offer_form(role_title="Engineer\u202e"))
    assert bidi.status_code == 400
    assert re.search(r'id="role_title-error"[^\n]*direction-changing', bidi.get_data(as_text=True))
    note = client.post(f"/staff/applications/{hired.id}/offer", data=_offer_form(note="Salary \u202e 100k"))
    assert note.status_code == 400
    assert re.search(r'id="note-error"[^\n]*direction-changing', note.get_data(as_text=True))
    missing = client.post(f"/staff/applications/{hired.id}/offer", data=_offer_form(feedback="", start_date="soon"))
    page = missing.get_data(as_text=True)
    assert missing.status_code == 400 and "Write the team" in page and "Senior Engineer" in page
    assert _offer(hired) is None and not outbox("offer_made")


def test_a_start_date_more_than_two_years_ahead_is_refused_next_to_the_field(app, team, hired):
    client = _client(app, team.recruiter)
    before = table_snapshot()
    today = utcnow().date()
    for far in ("9999-12-31", (today + timedelta(days=800)).isoformat()):
        response = client.post(f"/staff/applications/{hired.id}/offer", data=_offer_form(start_date=far))
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "more than two years away" in field_error(page, "start_date")
        assert f'value="{far}"' in page and "Salary as discussed." in page
    assert table_snapshot() == before and not outbox("offer_made")
    # Up to two years is fine: a hire may wait for a notice period or a visa.
    in_a_year = (today + timedelta(days=365)).isoformat()
    assert (
        client.post(f"/staff/applications/{hired.id}/offer", data=_offer_form(start_date=in_a_year)).status_code == 302
    )
    assert _offer(hired).start_date.isoformat() == in_a_year


def test_no_offer_without_a_hire(app, team, factory):
    application = factory.application(position=team.position, advances=5, actor=team.recruiter)
    response = _client(app, team.recruiter).post(f"/staff/applications/{application.id}/offer", data=_offer_form())
    assert response.status_code == 409 and _offer(application) is None


def test_the_candidate_accepts_once_and_the_recruiter_is_told(app, team, hired):
    _client(app, team.recruiter).post(f"/staff/applications/{hired.id}/offer", data=_offer_form())
    candidate = _client(app, hired.candidate)
    assert candidate.post(f"/applications/{hired.id}/offer", data={"answer": "accept"}).status_code == 302
    offer = _offer(hired)
    assert offer.status == "accepted" and offer.answered_at is not None
    assert {m.to_addr for m in outbox("offer_answered")} == {team.recruiter.email, team.manager.email}
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "offer.accepted"))
    page = candidate.get(f"/applications/{hired.id}").get_data(as_text=True)
    assert "Offer accepted" in page and "I accept the offer" not in page
    # The dashboard's card says the same as the page, not that an offer waits.
    dashboard = candidate.get("/dashboard").get_data(as_text=True)
    assert "You accepted the offer." in dashboard and "would like to make you an offer" not in dashboard
    # The answer stands.
    assert candidate.post(f"/applications/{hired.id}/offer", data={"answer": "decline"}).status_code == 409
    assert _offer(hired).status == "accepted"


def test_an_answer_without_a_choice_is_refused_next_to_the_field(app, team, hired):
    _client(app, team.recruiter).post(f"/staff/applications/{hired.id}/offer", data=_offer_form())
    response = _client(app, hired.candidate).post(f"/applications/{hired.id}/offer", data={"answer": "maybe"})
    assert response.status_code == 400 and "field-error" in response.get_data(as_text=True)
    assert _offer(hired).status == "offered"


def test_another_candidate_cannot_answer_the_offer(app, team, hired, factory):
    _client(app, team.recruiter).post(f"/staff/applications/{hired.id}/offer", data=_offer_form())
    stranger = factory.candidate()
    assert _client(app, stranger).post(f"/applications/{hired.id}/offer", data={"answer": "accept"}).status_code == 404
    assert _offer(hired).status == "offered"


def test_the_database_keeps_one_offer_per_application_and_known_statuses(app, hired):
    from sqlalchemy.exc import IntegrityError

    start = utcnow().date()
    db.session.add(Offer(application_id=hired.id, role_title="A", start_date=start))
    db.session.commit()
    db.session.add(Offer(application_id=hired.id, role_title="B", start_date=start))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    offer = _offer(hired)
    offer.status = "maybe"
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_hire_never_comes_from_the_offer_route(app, team, factory):
    application = factory.application(position=team.position, advances=5, actor=team.recruiter)
    with pytest.raises(TransitionNotAllowed):
        hiring.move(application.id, process.Action.HIRE, team.recruiter)
    _client(app, team.recruiter).post(f"/staff/applications/{application.id}/offer", data=_offer_form())
    db.session.expire_all()
    assert _offer(application) is None


def test_answers_racing_at_once_leave_exactly_one_answer(app, team, hired):
    from tests.helpers import race_requests

    _client(app, team.recruiter).post(f"/staff/applications/{hired.id}/offer", data=_offer_form())
    statuses = race_requests(
        app, hired.candidate, 4, "post", f"/applications/{hired.id}/offer", data={"answer": "accept"}
    )
    assert sorted(statuses) == [302, 409, 409, 409]
    assert _offer(hired).status == "accepted"
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "offer.accepted")).all()) == 1
