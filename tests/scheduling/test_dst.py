"""Bookings made before a daylight-saving switch for a time after it, in two zones: the interviewer's
09:00 stays 09:00 on their clock, the instant moves by an hour, and the invite carries the right UTC."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
import vobject

from portal.extensions import db
from portal.scheduling import services as scheduling
from tests.helpers import outbox

UTC = timezone.utc


@pytest.mark.parametrize(
    "zone, now, before, after",
    [
        # Europe switches on Sunday 28 March 2027: 10:00 in Amsterdam is 09:00 UTC before, 08:00 after.
        (
            "Europe/Amsterdam",
            datetime(2027, 3, 22, 6, 0, tzinfo=UTC),
            datetime(2027, 3, 26, 9, 0, tzinfo=UTC),
            datetime(2027, 3, 30, 8, 0, tzinfo=UTC),
        ),
        # The US switches on Sunday 14 March 2027: 10:00 in Los Angeles is 18:00 UTC before, 17:00 after.
        (
            "America/Los_Angeles",
            datetime(2027, 3, 8, 6, 0, tzinfo=UTC),
            datetime(2027, 3, 12, 18, 0, tzinfo=UTC),
            datetime(2027, 3, 16, 17, 0, tzinfo=UTC),
        ),
    ],
)
def test_a_booking_across_a_clock_change_keeps_the_interviewers_local_hours(team, factory, zone, now, before, after):
    team.recruiter.timezone = zone
    db.session.commit()
    candidate = factory.candidate("far@cand.example")
    candidate.timezone = "Asia/Tokyo"  # Tokyo keeps no daylight-saving time: the candidate's clock does not move
    db.session.commit()
    application = factory.application(candidate, team.position, advances=1, actor=team.recruiter)
    offer = scheduling.offer(application, now=now)
    local = ZoneInfo(zone)
    assert before in offer.starts and after in offer.starts
    assert before.astimezone(local).hour == after.astimezone(local).hour == 10
    for start in offer.starts:
        assert 9 <= start.astimezone(local).hour < 17

    [interview] = scheduling.book(application.id, after, candidate, now=now)
    assert interview.starts_at == after
    [mail] = [m for m in outbox("interview_booked") if m.to_addr == candidate.email]
    event = vobject.readOne(mail.attachments[0].content.decode()).vevent
    assert event.dtstart.value.astimezone(UTC) == after
    tokyo = after.astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"{tokyo:%H:%M} (Asia/Tokyo)" in mail.body_text
