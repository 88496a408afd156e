"""The invitations the portal mails, imported into a real CalDAV server (Radicale) as a calendar client
files them, and read back: the times in UTC are the interview's, a move replaces the event with the
same UID, a cancellation marks it cancelled; the candidate's on-site round is one event over the loop."""

from __future__ import annotations

from datetime import timezone

import icalendar

from portal.scheduling import services as scheduling
from tests.helpers import outbox
from tests.scheduling.conftest import NOW, at

UTC = timezone.utc


def _invite(kind: str, to: str) -> bytes:
    [mail] = [m for m in outbox(kind) if m.to_addr == to]
    [attachment] = mail.attachments
    return attachment.content


def _file(calendar, invite: bytes):
    """What a calendar client does with an iTIP message it accepts: the METHOD belongs to the message, not
    to a stored calendar object (RFC 4791 5.3.2), so it is dropped and the event stored under its UID."""
    parsed = icalendar.Calendar.from_ical(invite)
    assert parsed["METHOD"] in ("REQUEST", "CANCEL")
    del parsed["METHOD"]
    # Stored verbatim (the client library would otherwise raise the SEQUENCE on its own).
    return calendar.add_event(parsed.to_ical().decode(), increase_seqno=False)


def _stored_events(calendar) -> list[icalendar.Event]:
    found = []
    for resource in calendar.events():
        found.extend(icalendar.Calendar.from_ical(resource.data).walk("VEVENT"))
    return found


def _utc(event, name: str):
    return event[name].dt.astimezone(UTC)


def test_invites_imported_into_caldav_keep_the_interviews_times_and_a_move_replaces_the_event(team, factory, radicale):
    candidate = factory.candidate("kenji@cand.example")
    candidate.timezone = "Asia/Tokyo"
    application = factory.application(candidate, team.position, advances=1, actor=team.recruiter)
    [interview] = scheduling.book(application.id, at(3, 10), candidate, now=NOW)
    interviewers_calendar = radicale.new_calendar("interviewer")
    candidates_calendar = radicale.new_calendar("candidate")

    _file(interviewers_calendar, _invite("interview_booked", team.recruiter.email))
    _file(candidates_calendar, _invite("interview_booked", candidate.email))
    for calendar in (interviewers_calendar, candidates_calendar):
        [event] = _stored_events(calendar)
        assert str(event["UID"]) == interview.uid and int(event["SEQUENCE"]) == 0
        assert (_utc(event, "DTSTART"), _utc(event, "DTEND")) == (at(3, 10), at(3, 10, 30))
    [event] = _stored_events(candidates_calendar)
    assert event["DTSTART"].params["TZID"] == "Asia/Tokyo"  # the candidate's own zone, the same instant

    scheduling.reschedule(interview.group_id, at(4, 15), candidate, "A clash at work", now=NOW)
    _file(interviewers_calendar, _invite("interview_moved", team.recruiter.email))
    _file(candidates_calendar, _invite("interview_moved", candidate.email))
    for calendar in (interviewers_calendar, candidates_calendar):
        [event] = _stored_events(calendar)  # replaced, not a second event
        assert str(event["UID"]) == interview.uid and int(event["SEQUENCE"]) == 1
        assert (_utc(event, "DTSTART"), _utc(event, "DTEND")) == (at(4, 15), at(4, 15, 30))
        # A search by time finds it at the new time only.
        assert calendar.search(start=at(4, 15), end=at(4, 16), event=True)
        assert not calendar.search(start=at(3, 10), end=at(3, 11), event=True)

    scheduling.cancel(interview.group_id, candidate, "Accepted another offer", now=NOW)
    _file(interviewers_calendar, _invite("interview_cancelled", team.recruiter.email))
    [event] = _stored_events(interviewers_calendar)
    assert str(event["UID"]) == interview.uid and int(event["SEQUENCE"]) == 2
    assert str(event["STATUS"]) == "CANCELLED"


def test_an_on_site_round_is_one_event_over_the_loop_for_the_candidate_in_caldav(team, factory, radicale):
    application = factory.application(factory.candidate(), team.position, advances=3, actor=team.recruiter)
    booked = scheduling.book(application.id, at(3, 9), application.candidate, now=NOW)
    calendar = radicale.new_calendar("loop")
    _file(calendar, _invite("interview_booked", application.candidate.email))
    [event] = _stored_events(calendar)
    assert str(event["UID"]) == f"loop-{booked[0].group_id}@candor"
    assert (_utc(event, "DTSTART"), _utc(event, "DTEND")) == (booked[0].starts_at, booked[-1].ends_at)
