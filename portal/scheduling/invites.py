"""Calendar invitations (RFC 5545 with iTIP, RFC 5546): what is mailed on every booking, move and
cancellation, what the pages offer for download, and each interviewer's private feed.

One event per booking for the candidate (a screen, or the whole on-site round as one block with its
timetable in the description) and one per interview for its interviewer. An event's UID never
changes and its SEQUENCE grows with every change, so calendars update the event they already hold.
Times carry the reader's own zone with its VTIMEZONE, so every calendar shows the same instant.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app

from portal.accounts.models import User
from portal.notifications.services import link
from portal.scheduling.models import Interview, InterviewStatus
from portal.timeutil import utcnow, zone_of

PRODID = "-//Candor//Interviews//EN"


def booking_uid(interviews: Sequence[Interview]) -> str:
    """The candidate's event for a booking: the interview's own UID, or the loop's."""
    return interviews[0].uid if len(interviews) == 1 else f"loop-{interviews[0].group_id}@candor"


def _organizer() -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{_from_address()}")
    address.params["cn"] = icalendar.vText("Candor")
    return address


def _from_address() -> str:
    sender = current_app.config["MAIL_FROM"]
    return sender.split("<", 1)[1].rstrip(">").strip() if "<" in sender else sender.strip()


def _attendee(user: User, role: str = "REQ-PARTICIPANT") -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{user.email}")
    address.params["cn"] = icalendar.vText(user.name)
    address.params["role"] = icalendar.vText(role)
    address.params["partstat"] = icalendar.vText("NEEDS-ACTION")
    address.params["rsvp"] = icalendar.vText("FALSE")
    return address


def _calendar(method: str | None) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def _finish(calendar: icalendar.Calendar, moments: list[datetime]) -> bytes:
    if moments:
        first = min(moments).date() - timedelta(days=370)
        last = max(moments).date() + timedelta(days=370)
    else:
        first, last = date.today() - timedelta(days=1), date.today() + timedelta(days=1)
    calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar.to_ical()


def _event(
    *,
    uid: str,
    sequence: int,
    starts_at: datetime,
    ends_at: datetime,
    zone: ZoneInfo,
    summary: str,
    description: str,
    location: str,
    url: str,
    attendees: list[icalendar.vCalAddress],
    cancelled: bool,
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", utcnow())
    event.add("dtstart", starts_at.astimezone(zone))
    event.add("dtend", ends_at.astimezone(zone))
    event.add("summary", summary)
    event.add("description", description)
    if location:
        event.add("location", location)
    if url:
        event.add("url", url)
    event.add("organizer", _organizer())
    for attendee in attendees:
        event.add("attendee", attendee)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def _portal_url(endpoint: str, **values) -> str:
    return str(link(endpoint, **values))  # from BASE_URL: the same inside a request or outside


def for_candidate(interviews: Sequence[Interview], *, method: str | None, position_title: str) -> bytes:
    """The candidate's event for one booking (REQUEST or CANCEL when mailed, none for a download)."""
    candidate = interviews[0].candidate
    zone = zone_of(candidate)
    cancelled = method == "CANCEL" or all(i.status == InterviewStatus.CANCELLED.value for i in interviews)
    first, last = interviews[0], interviews[-1]
    if len(interviews) == 1:
        summary = f"{first.kind.name} for {position_title} (Candor)"
        description = f"{first.kind.name} with {first.interviewer.name}, {first.minutes} minutes."
    else:
        summary = f"On-site interviews for {position_title} (Candor)"
        lines = [
            f"{i.starts_at.astimezone(zone):%H:%M}–{i.ends_at.astimezone(zone):%H:%M} {i.kind.name} with {i.interviewer.name}"
            for i in interviews
        ]
        description = "Your interviews, back to back:\n" + "\n".join(lines)
    link = _portal_url("candidate.application", application_id=first.application_id)
    description += f"\n\nJoin: {first.video_link}\nDetails, moving or cancelling: {link}"
    calendar = _calendar(method)
    calendar.add_component(
        _event(
            uid=booking_uid(interviews),
            sequence=max(i.sequence for i in interviews),
            starts_at=first.starts_at,
            ends_at=last.ends_at,
            zone=zone,
            summary=summary,
            description=description,
            location=first.video_link,
            url=link,
            attendees=[_attendee(candidate)] + [_attendee(i.interviewer) for i in interviews],
            cancelled=cancelled,
        )
    )
    return _finish(calendar, [first.starts_at, last.ends_at])


def _interviewer_event(
    interview: Interview, *, candidate_name: str, position_title: str, interviewer: User | None = None, cancelled=False
) -> icalendar.Event:
    interviewer = interviewer or interview.interviewer
    link = _portal_url("staff.application", application_id=interview.application_id)
    return _event(
        uid=interview.uid,
        sequence=interview.sequence,
        starts_at=interview.starts_at,
        ends_at=interview.ends_at,
        zone=zone_of(interviewer),
        summary=f"{interview.kind.name}: {candidate_name} for {position_title}",
        description=f"{interview.kind.name} with {candidate_name}, {interview.minutes} minutes.\n\n"
        f"Join: {interview.video_link}\nApplication and interview kit: {link}",
        location=interview.video_link,
        url=link,
        attendees=[_attendee(interviewer), _attendee(interview.candidate)],
        cancelled=cancelled or interview.status == InterviewStatus.CANCELLED.value,
    )


def for_interviewer(
    interview: Interview,
    *,
    method: str | None,
    candidate_name: str,
    position_title: str,
    interviewer: User | None = None,
) -> bytes:
    """The interviewer's event for one interview; `interviewer` names an earlier one being released."""
    calendar = _calendar(method)
    calendar.add_component(
        _interviewer_event(
            interview,
            candidate_name=candidate_name,
            position_title=position_title,
            interviewer=interviewer,
            cancelled=method == "CANCEL",
        )
    )
    return _finish(calendar, [interview.starts_at, interview.ends_at])


def feed(interviews: Sequence[tuple[Interview, str, str]]) -> bytes:
    """An interviewer's private feed: (interview, candidate name, position title) for each."""
    calendar = _calendar("PUBLISH")
    calendar.add("x-wr-calname", "Candor interviews")
    for interview, candidate_name, position_title in interviews:
        calendar.add_component(
            _interviewer_event(interview, candidate_name=candidate_name, position_title=position_title)
        )
    return _finish(calendar, [i.starts_at for i, _, _ in interviews])
