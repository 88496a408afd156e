"""The mails of a booking, a move and a cancellation, each with its calendar invitation, through the
outbox (in the booking's own transaction: they are sent once it commits, even if the mail server is
down at that moment)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from portal.accounts.models import User
from portal.notifications.services import Attachment, queue_mail
from portal.scheduling import invites
from portal.scheduling.models import Interview


@dataclass(frozen=True)
class BookingItem:
    starts_at: datetime
    minutes: int
    kind: str
    interviewer: str


@dataclass(frozen=True)
class BookingView:
    """What a booking's mails say: times, kinds and names, nothing internal."""

    application_id: int
    title: str
    position_title: str
    candidate_name: str
    video_link: str
    items: tuple[BookingItem, ...]


def view(interviews: Sequence[Interview]) -> BookingView:
    first = interviews[0]
    application = first.application
    return BookingView(
        application_id=first.application_id,
        title=first.kind.name if len(interviews) == 1 else application.stage.name,
        position_title=application.position.title,
        candidate_name=first.candidate.name,
        video_link=first.video_link,
        items=tuple(BookingItem(i.starts_at, i.minutes, i.kind.name, i.interviewer.name) for i in interviews),
    )


def _send(template: str, method: str, interviews: Sequence[Interview], *, reason: str = "", released=None) -> None:
    booking = view(interviews)
    candidate = interviews[0].candidate
    ics = invites.for_candidate(interviews, method=method, position_title=booking.position_title)
    queue_mail(
        candidate,
        template,
        attachments=[Attachment.calendar(ics, method)],
        booking=booking,
        for_candidate=True,
        reason=reason,
    )
    for interview in interviews:
        mine = view([interview])
        ics = invites.for_interviewer(
            interview, method=method, candidate_name=booking.candidate_name, position_title=booking.position_title
        )
        queue_mail(
            interview.interviewer,
            template,
            attachments=[Attachment.calendar(ics, method)],
            booking=mine,
            for_candidate=False,
            reason=reason,
        )
    # An interviewer no longer in a moved booking is told it is off their calendar.
    for interview, former in released or ():
        ics = invites.for_interviewer(
            interview,
            method="CANCEL",
            candidate_name=booking.candidate_name,
            position_title=booking.position_title,
            interviewer=former,
        )
        queue_mail(
            former,
            "interview_cancelled",
            attachments=[Attachment.calendar(ics, "CANCEL")],
            booking=view([interview]),
            for_candidate=False,
            reason="Another interviewer takes this interview.",
        )


def booked(interviews: Sequence[Interview]) -> None:
    _send("interview_booked", "REQUEST", interviews)


def moved(interviews: Sequence[Interview], reason: str, released: Sequence[tuple[Interview, User]] = ()) -> None:
    _send("interview_moved", "REQUEST", interviews, reason=reason, released=released)


def cancelled(interviews: Sequence[Interview], reason: str) -> None:
    _send("interview_cancelled", "CANCEL", interviews, reason=reason)
