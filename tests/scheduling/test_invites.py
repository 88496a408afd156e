"""Calendar invitations, read back with an independent parser (vobject): iTIP method in the calendar
and the MIME type, a UID that never changes, a SEQUENCE that grows, the times in UTC, and the
mails that carry them for the candidate and each interviewer."""

from __future__ import annotations

from datetime import timezone

import vobject

from portal.scheduling import services as scheduling
from tests.helpers import outbox
from tests.scheduling.conftest import NOW, at


def _calendar_of(message):
    [part] = message.attachments
    calendar = vobject.readOne(part.content.decode("utf-8"))
    return part.content_type, calendar


def _event(calendar):
    [event] = calendar.vevent_list
    return event


def _utc(value):
    return value.astimezone(timezone.utc)


def _mails(kind, to):
    return [m for m in outbox(kind) if m.to_addr == to]


def test_booking_mails_the_candidate_and_the_interviewer_a_request_with_the_times_in_their_zones(team, factory):
    candidate = factory.candidate("kenji@cand.example")
    candidate.timezone = "Asia/Tokyo"
    application = factory.application(candidate, team.position, advances=1, actor=team.recruiter)
    [interview] = scheduling.book(application.id, at(3, 10), candidate, now=NOW)

    [to_candidate] = _mails("interview_booked", candidate.email)
    content_type, calendar = _calendar_of(to_candidate)
    assert content_type.startswith("text/calendar; method=REQUEST")
    assert calendar.method.value == "REQUEST"
    event = _event(calendar)
    assert event.uid.value == interview.uid
    assert int(event.sequence.value) == 0
    assert _utc(event.dtstart.value) == at(3, 10) and _utc(event.dtend.value) == at(3, 10, 30)
    assert "DTSTART;TZID=Asia/Tokyo:" in to_candidate.attachments[0].content.decode()
    assert calendar.vtimezone.tzid.value == "Asia/Tokyo"
    assert event.organizer.value.lower().startswith("mailto:")
    attendees = {a.value.lower() for a in event.attendee_list}
    assert attendees == {f"mailto:{candidate.email}", f"mailto:{team.recruiter.email}"}
    assert interview.video_link in event.description.value and interview.video_link == event.location.value
    assert f"/applications/{application.id}" in event.description.value
    # The mail itself tells the time in the candidate's zone (Tokyo is 7 hours ahead of Amsterdam in summer,
    # 8 in winter): never in the recruiter's.
    local = at(3, 10).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    assert f"{local:%H:%M} (Asia/Tokyo)" in to_candidate.body_text

    [to_recruiter] = _mails("interview_booked", team.recruiter.email)
    _, staff_calendar = _calendar_of(to_recruiter)
    staff_event = _event(staff_calendar)
    assert staff_event.uid.value == interview.uid
    assert _utc(staff_event.dtstart.value) == at(3, 10)
    assert staff_calendar.vtimezone.tzid.value == "Europe/Amsterdam"


def test_a_move_sends_the_same_uid_with_a_higher_sequence_and_a_cancellation_sends_cancel(team, factory):
    application = factory.application(factory.candidate(), team.position, advances=1, actor=team.recruiter)
    candidate = application.candidate
    [interview] = scheduling.book(application.id, at(3, 10), candidate, now=NOW)
    uid, group = interview.uid, interview.group_id

    scheduling.reschedule(group, at(4, 15), candidate, "A clash at work", now=NOW)
    [moved] = _mails("interview_moved", candidate.email)
    _, calendar = _calendar_of(moved)
    event = _event(calendar)
    assert (calendar.method.value, event.uid.value, int(event.sequence.value)) == ("REQUEST", uid, 1)
    assert _utc(event.dtstart.value) == at(4, 15)
    assert "A clash at work" in moved.body_text

    scheduling.cancel(group, candidate, "Accepted another offer", now=NOW)
    [cancelled] = _mails("interview_cancelled", candidate.email)
    content_type, calendar = _calendar_of(cancelled)
    event = _event(calendar)
    assert content_type.startswith("text/calendar; method=CANCEL")
    assert (calendar.method.value, event.uid.value, int(event.sequence.value)) == ("CANCEL", uid, 2)
    assert event.status.value == "CANCELLED"
    assert _mails("interview_cancelled", team.recruiter.email), "the interviewer is told too"


def test_a_loop_is_one_event_for_the_candidate_and_one_per_interview_for_each_interviewer(team, factory):
    application = factory.application(factory.candidate(), team.position, advances=3, actor=team.recruiter)
    booked = scheduling.book(application.id, at(3, 9), application.candidate, now=NOW)
    [to_candidate] = _mails("interview_booked", application.candidate.email)
    event = _event(_calendar_of(to_candidate)[1])
    assert event.uid.value == f"loop-{booked[0].group_id}@candor"
    assert _utc(event.dtstart.value) == booked[0].starts_at and _utc(event.dtend.value) == booked[-1].ends_at
    for interview in booked:
        assert interview.kind.name in event.description.value
        [mail] = _mails("interview_booked", interview.interviewer.email)
        own = _event(_calendar_of(mail)[1])
        assert own.uid.value == interview.uid and _utc(own.dtstart.value) == interview.starts_at
