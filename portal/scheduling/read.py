"""Interviews as plain data for pages: what a candidate may see of their bookings (kinds, times,
interviewers' names, the video link), and an interviewer's own list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from portal.extensions import db
from portal.scheduling.models import Interview, InterviewStatus
from portal.timeutil import utcnow


@dataclass(frozen=True)
class InterviewItem:
    id: int
    kind: str
    interviewer: str
    interviewer_id: int
    starts_at: datetime
    ends_at: datetime
    minutes: int
    status: str
    status_label: str


@dataclass(frozen=True)
class Booking:
    """Interviews booked together (one screen, or an on-site round)."""

    group_id: str
    stage_id: int
    items: tuple[InterviewItem, ...]
    video_link: str
    status: str  # "booked" while any holds its time, else the status they share
    is_upcoming: bool
    can_change: bool  # the candidate may still move or cancel it (before the cut-off)

    @property
    def starts_at(self) -> datetime:
        return self.items[0].starts_at

    @property
    def ends_at(self) -> datetime:
        return self.items[-1].ends_at


def _item(interview: Interview) -> InterviewItem:
    return InterviewItem(
        id=interview.id,
        kind=interview.kind.name,
        interviewer=interview.interviewer.name,
        interviewer_id=interview.interviewer_id,
        starts_at=interview.starts_at,
        ends_at=interview.ends_at,
        minutes=interview.minutes,
        status=interview.status,
        status_label=interview.status_label,
    )


def bookings_of(application_id: int, *, now: datetime | None = None, include_cancelled: bool = False) -> list[Booking]:
    """The application's bookings, soonest first (cancelled ones only when asked)."""
    now = now or utcnow()
    cutoff = timedelta(hours=current_app.config["SCHEDULING_CUTOFF_HOURS"])
    groups: dict[str, list[Interview]] = {}
    for interview in db.session.scalars(
        select(Interview).where(Interview.application_id == application_id).order_by(Interview.starts_at, Interview.id)
    ).unique():
        groups.setdefault(interview.group_id, []).append(interview)
    found = []
    for group_id, interviews in groups.items():
        holding = [i for i in interviews if i.holds_time]
        if not holding and not include_cancelled:
            continue
        shown = holding or interviews
        status = InterviewStatus.BOOKED.value if any(i.status == "booked" for i in shown) else shown[0].status
        upcoming = shown[0].starts_at > now
        found.append(
            Booking(
                group_id=group_id,
                stage_id=shown[0].stage_id,
                items=tuple(_item(i) for i in shown),
                video_link=shown[0].video_link,
                status=status,
                is_upcoming=upcoming,
                can_change=status == InterviewStatus.BOOKED.value and shown[0].starts_at - now >= cutoff,
            )
        )
    return sorted(found, key=lambda b: b.starts_at)


def booked_ahead(bookings: list[Booking], stage_id: int) -> int:
    """How many interviews of `stage_id` among `bookings` still hold a time to come."""
    return sum(
        len(b.items)
        for b in bookings
        if b.stage_id == stage_id and b.status == InterviewStatus.BOOKED.value and b.is_upcoming
    )


@dataclass(frozen=True)
class StaffInterview:
    id: int
    application_id: int
    group_id: str
    candidate: str
    position: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    status: str
    status_label: str
    video_link: str


def interviews_of(interviewer_id: int, *, upcoming: bool, now: datetime | None = None, limit: int = 200):
    """An interviewer's own interviews: upcoming ones soonest first, or past ones latest first."""
    from portal.accounts.models import User
    from portal.hiring.models import Application, Position

    now = now or utcnow()
    query = (
        select(Interview, User.name, Position.title)
        .join(Application, Application.id == Interview.application_id)
        .join(User, User.id == Interview.candidate_id)
        .join(Position, Position.id == Application.position_id)
        .where(Interview.interviewer_id == interviewer_id)
    )
    if upcoming:
        query = query.where(Interview.ends_at > now, Interview.status == InterviewStatus.BOOKED.value).order_by(
            Interview.starts_at
        )
    else:
        query = query.where((Interview.ends_at <= now) | (Interview.status != InterviewStatus.BOOKED.value)).order_by(
            Interview.starts_at.desc()
        )
    return [
        StaffInterview(
            id=i.id,
            application_id=i.application_id,
            group_id=i.group_id,
            candidate=name,
            position=title,
            kind=i.kind.name,
            starts_at=i.starts_at,
            ends_at=i.ends_at,
            status=i.status,
            status_label=i.status_label,
            video_link=i.video_link,
        )
        for i, name, title in db.session.execute(query.limit(limit)).unique()
    ]


@dataclass(frozen=True)
class PositionInterview:
    application_id: int
    candidate: str
    kind: str
    interviewer: str
    starts_at: datetime
    ends_at: datetime


def interviews_for_position(position_id: int, *, now: datetime | None = None, limit: int = 200):
    """A position's interviews to come, soonest first."""
    from sqlalchemy.orm import aliased

    from portal.accounts.models import User
    from portal.hiring.models import Application

    now = now or utcnow()
    candidate, interviewer = aliased(User), aliased(User)
    rows = db.session.execute(
        select(
            Interview.application_id,
            candidate.name,
            Interview.kind_key,
            interviewer.name,
            Interview.starts_at,
            Interview.ends_at,
        )
        .join(Application, Application.id == Interview.application_id)
        .join(candidate, candidate.id == Interview.candidate_id)
        .join(interviewer, interviewer.id == Interview.interviewer_id)
        .where(
            Application.position_id == position_id,
            Interview.status == InterviewStatus.BOOKED.value,
            Interview.ends_at > now,
        )
        .order_by(Interview.starts_at)
        .limit(limit)
    )
    from portal.hiring.models import InterviewKind

    names = dict(db.session.execute(select(InterviewKind.key, InterviewKind.name)).all())
    return [PositionInterview(a, c, names.get(k, k), i, s, e) for a, c, k, i, s, e in rows]


def accommodations_of(application_id: int):
    from portal.scheduling.accommodations import requests_of

    return requests_of(application_id)
