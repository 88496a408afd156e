"""Booking hands the move to the team, held interviews never ask for a new booking, and the answer
the candidate is promised never falls before their interview: on the candidate's page, the
dashboard and the staff pipeline alike."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.hiring import queries
from portal.hiring.models import Application
from portal.scheduling import services as scheduling
from portal.templating import iso
from portal.timeutil import add_working_days, utcnow
from tests.helpers import login


@pytest.fixture
def waiting(team, factory, client):
    candidate = factory.candidate("casey@cand.example")
    application = factory.application(candidate, team.position, advances=1, actor=team.recruiter)
    login(client, candidate)
    return application


def _page(client, application) -> str:
    return client.get(f"/applications/{application.id}").get_data(as_text=True)


def _promised(page: str) -> str:
    return page.split("You will hear from us by", 1)[1].split('datetime="', 1)[1].split('"', 1)[0]


def test_booking_hands_the_move_to_the_team_and_held_interviews_ask_for_no_new_booking(waiting, client, team):
    assert "Your move:</strong> Choose a time for your recruiter screen" in _page(client, waiting)
    start = scheduling.offer(waiting).starts[0]
    client.post(f"/applications/{waiting.id}/book", data={"start": iso(start)})
    page = _page(client, waiting)
    assert "Your move:" not in page and "Our move:" in page
    assert "Choose a time for your recruiter screen" not in page

    [interview] = scheduling.current_booking(db.session.get(Application, waiting.id))
    scheduling.record_outcome(interview.id, "completed", team.recruiter, now=interview.ends_at)
    page = _page(client, waiting)
    assert "Your move:" not in page and "Our move:" in page
    assert "Choose a time for your recruiter screen" not in page
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Your move:" not in dashboard and "You will hear from us by" in dashboard
    response = client.get(f"/applications/{waiting.id}/book", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "have taken place: there is nothing more to book" in text and "booked already" not in text


def test_the_promised_answer_counts_from_the_end_of_an_interview_booked_weeks_ahead(waiting, client, team):
    start = scheduling.offer(waiting).starts[-1]  # the furthest time offered, weeks ahead
    client.post(f"/applications/{waiting.id}/book", data={"start": iso(start)})
    [interview] = scheduling.current_booking(db.session.get(Application, waiting.id))
    promised = add_working_days(interview.ends_at, team.position.sla_days)

    assert _promised(_page(client, waiting)) == iso(promised)
    assert _promised(client.get("/dashboard").get_data(as_text=True)) == iso(promised)
    application = db.session.get(Application, waiting.id)
    assert application.sla_due_at() == promised

    # Staff see it late neither before the interview nor on the pipeline's overdue filter.
    application.stage_entered_at = utcnow() - timedelta(days=30)
    db.session.commit()
    [row] = queries.pipeline(team.position, stage_id=None, status="active", q="", overdue=False, page=1).rows
    assert row.due == promised and not row.late
    overdue = queries.pipeline(team.position, stage_id=None, status="active", q="", overdue=True, page=1)
    assert overdue.rows == []
    # Once the stage's answer is late after the interview, it is flagged.
    later = promised + timedelta(minutes=1)
    overdue = queries.pipeline(team.position, stage_id=None, status="active", q="", overdue=True, page=1, now=later)
    assert [r.id for r in overdue.rows] == [waiting.id]


def test_a_cancelled_interview_does_not_move_the_promise(waiting, client, team):
    start = scheduling.offer(waiting).starts[-1]
    [interview] = scheduling.book(waiting.id, start, team.recruiter)
    scheduling.cancel(interview.group_id, team.recruiter, "The role's plan changed")
    application = db.session.get(Application, waiting.id)
    assert application.whose_move() == "candidate" and application.sla_due_at() is None
    scheduling.book(waiting.id, scheduling.offer(application).starts[0], team.recruiter)
    db.session.expire_all()
    application = db.session.get(Application, waiting.id)
    [booked] = scheduling.current_booking(application)
    assert application.sla_due_at() == max(
        add_working_days(booked.ends_at, team.position.sla_days),
        add_working_days(application.stage_entered_at, team.position.sla_days)
        + timedelta(seconds=application.progress.paused_seconds),
    )
