"""Booking, moving and cancelling interviews reach the candidate's timeline (and the staff page's,
with who acted), each with the interview's time in the reader's own zone and nothing internal."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.scheduling import services as scheduling
from portal.scheduling.models import Interview
from portal.templating import iso
from tests.helpers import login, timeline_of
from tests.scheduling.conftest import AMSTERDAM

LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def _shown(instant, zone) -> str:
    return f"{instant.astimezone(zone):%a %d %b %Y, %H:%M} ({zone.key})"


@pytest.fixture
def waiting(team, factory, client):
    candidate = factory.candidate("casey@cand.example")
    candidate.timezone = LOS_ANGELES.key
    db.session.commit()
    application = factory.application(candidate, team.position, advances=1, actor=team.recruiter)
    login(client, candidate)
    return application


def test_the_candidate_reads_their_booking_its_move_and_its_cancellation_in_their_timeline(waiting, client):
    starts = scheduling.offer(waiting).starts
    first, later = starts[0], starts[-1]
    client.post(f"/applications/{waiting.id}/book", data={"start": iso(first)})
    page = client.get(f"/applications/{waiting.id}").get_data(as_text=True)
    assert timeline_of(page)[0] == f"Recruiter screen booked: {_shown(first, LOS_ANGELES)}"

    [interview] = db.session.scalars(select(Interview)).all()
    client.post(
        f"/applications/{waiting.id}/book",
        data={"start": iso(later), "move": interview.group_id, "reason": "A dentist appointment"},
    )
    page = client.get(f"/applications/{waiting.id}").get_data(as_text=True)
    assert timeline_of(page)[0] == (
        f"Recruiter screen moved to a new time: {_shown(later, LOS_ANGELES)} A dentist appointment"
    )

    client.post(f"/applications/{waiting.id}/bookings/{interview.group_id}/cancel", data={"reason": "Got an offer"})
    entries = timeline_of(client.get(f"/applications/{waiting.id}").get_data(as_text=True))
    assert entries[0] == f"Recruiter screen cancelled: {_shown(later, LOS_ANGELES)} Got an offer"
    assert entries[1:4] == [
        f"Recruiter screen moved to a new time: {_shown(later, LOS_ANGELES)} A dentist appointment",
        f"Recruiter screen booked: {_shown(first, LOS_ANGELES)}",
        "Moved to Recruiter screen",
    ]


def test_staff_changes_to_a_booking_reach_the_candidates_timeline_and_staff_see_who_made_them(
    waiting, client, team, app
):
    starts = scheduling.offer(waiting).starts
    [interview] = scheduling.book(waiting.id, starts[0], team.recruiter)
    scheduling.reschedule(interview.group_id, starts[-1], team.recruiter, "The recruiter is ill that day")
    entries = timeline_of(client.get(f"/applications/{waiting.id}").get_data(as_text=True))
    assert entries[:2] == [
        f"Recruiter screen moved to a new time: {_shown(starts[-1], LOS_ANGELES)} The recruiter is ill that day",
        f"Recruiter screen booked: {_shown(starts[0], LOS_ANGELES)}",
    ]
    assert not any("Rita" in entry for entry in entries)  # the candidate's timeline names nobody

    recruiter = app.test_client()
    login(recruiter, team.recruiter)
    staff_entries = timeline_of(recruiter.get(f"/staff/applications/{waiting.id}").get_data(as_text=True))
    assert staff_entries[0] == (
        f"Recruiter screen moved to a new time: {_shown(starts[-1], AMSTERDAM)} by Rita Recruiter "
        "The recruiter is ill that day"
    )


def test_a_booking_refused_leaves_the_timeline_as_it_was(waiting, client, team, factory):
    start = scheduling.offer(waiting).starts[0]
    rival = factory.application(factory.candidate(), team.position, advances=1, actor=team.recruiter)
    scheduling.book(rival.id, start, rival.candidate)
    before = timeline_of(client.get(f"/applications/{waiting.id}").get_data(as_text=True))
    assert client.post(f"/applications/{waiting.id}/book", data={"start": iso(start)}).status_code == 409
    assert timeline_of(client.get(f"/applications/{waiting.id}").get_data(as_text=True)) == before


def test_an_on_site_round_booked_reads_as_the_rounds_interviews(team, factory, client):
    candidate = factory.candidate("olu@cand.example")
    application = factory.application(candidate, team.position, advances=3, actor=team.recruiter)
    login(client, candidate)
    start = scheduling.offer(application).starts[0]
    client.post(f"/applications/{application.id}/book", data={"start": iso(start)})
    entries = timeline_of(client.get(f"/applications/{application.id}").get_data(as_text=True))
    assert entries[0].startswith("On-site, round 1 interviews booked: ")
