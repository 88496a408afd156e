"""Booking interviews: what can be booked, booking it without ever double-booking anyone, moving and
cancelling it. Each public function that writes is one unit of work.

Every booking follows the same path, for a single screen or a whole on-site loop: lock the
application, lock every person who could take part (in id order, so two bookings never wait on each
other in a circle), read availability and bookings as they are now, assemble, insert. On
PostgreSQL the exclusion constraints stand behind that as the last word; a conflict they report is
the same "just taken" answer.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import holidays as holiday_calendars
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from portal import audit
from portal.accounts.models import Role, User
from portal.forms import typed_text
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.hiring import progress as stage_progress
from portal.hiring import services as hiring
from portal.hiring import timeline
from portal.hiring.models import Application, PlannedInterview, Position, StageKind, StaffQualification
from portal.scheduling import loops, notify
from portal.scheduling.loops import Interviewer, Step
from portal.scheduling.models import (
    AvailabilityWindow,
    BlockedDay,
    BusyTime,
    Interview,
    InterviewStatus,
    PoolMember,
    SchedulingProfile,
    holds_time_clause,
)
from portal.scheduling.slots import FreeTime, Interval, Window, availability, pad, start_times, subtract
from portal.timeutil import utcnow, zone_of
from portal.unit_of_work import transactional

START_STEP_MINUTES = 15  # offered starts fall on the quarter hour (slots.start_times)
BOOKABLE_KINDS = (StageKind.SCREEN.value, StageKind.TECHNICAL.value, StageKind.LOOP.value)


class SlotTaken(DomainError):
    """The time chosen is no longer free (someone else took it a moment ago)."""

    def __init__(self, message: str = "That time was just taken by someone else."):
        super().__init__(message)


class NothingToBook(DomainError):
    pass


class NotOffered(SlotTaken):
    """The time chosen was never offered (outside everyone's hours, the notice or the horizon, off the
    quarter hour): not taken by anyone, so there is nothing "nearest" to say about it."""

    status = 400

    def __init__(self, message: str = "Choose one of the times shown."):
        super().__init__(message)


class BookingGone(DomainError):
    """The booking was cancelled meanwhile: there is nothing left to move or cancel."""


@dataclass(frozen=True)
class Settings:
    notice: timedelta
    horizon: timedelta
    cutoff: timedelta
    loop_break: int
    buffer: int
    default_country: str

    @classmethod
    def from_config(cls) -> Settings:
        config = current_app.config
        return cls(
            notice=timedelta(hours=config["SCHEDULING_NOTICE_HOURS"]),
            horizon=timedelta(days=config["SCHEDULING_HORIZON_DAYS"]),
            cutoff=timedelta(hours=config["SCHEDULING_CUTOFF_HOURS"]),
            loop_break=config["SCHEDULING_LOOP_BREAK_MINUTES"],
            buffer=config["SCHEDULING_BUFFER_MINUTES"],
            default_country=config["SCHEDULING_DEFAULT_COUNTRY"],
        )


def could_be_offered(start: datetime, now: datetime | None = None) -> bool:
    """Whether a start is of the kind ever offered (on the quarter hour, after the notice, within the
    horizon): one that is not was never shown, and is not "just taken"."""
    now = now or utcnow()
    settings = Settings.from_config()
    on_grid = start.second == 0 and start.microsecond == 0 and start.minute % START_STEP_MINUTES == 0
    return on_grid and now + settings.notice <= start <= now + settings.horizon


# --- what the current stage asks for -------------------------------------------------------------


def planned_interviews(application: Application) -> list[PlannedInterview]:
    """The interviews the application's current stage holds, given the technical format chosen."""
    stage = application.stage
    if not application.is_active or stage.kind not in BOOKABLE_KINDS:
        return []
    chosen = application.progress.format if application.progress else None
    if stage.kind == StageKind.TECHNICAL.value and chosen is None:
        return []  # the candidate chooses the format first
    return stage.interviews_for(chosen)


def steps_for(application: Application) -> list[Step]:
    planned = planned_interviews(application)
    extra = extra_minutes(application) if planned else 0
    return [Step(p.kind_key, p.minutes + extra) for p in planned]


def extra_minutes(application: Application) -> int:
    """Minutes added to each interview by a granted accommodation (extra time)."""
    from portal.scheduling import accommodations

    return accommodations.extra_minutes(application.id)


def current_booking(application: Application) -> list[Interview]:
    """The interviews booked for the application's current stage that still hold their time."""
    return list(
        db.session.scalars(
            select(Interview)
            .where(
                Interview.application_id == application.id,
                Interview.stage_id == application.stage_id,
                holds_time_clause(),
            )
            .order_by(Interview.starts_at)
        ).unique()
    )


# --- who may interview, and when they are free ----------------------------------------------------


def eligible_people(position: Position, planned: list[PlannedInterview]) -> dict[str, set[int]]:
    """For each interview kind of the plan, the staff who may run it for this position: pool members
    holding the role that runs it (and qualified for the kind where the plan says so); the position's
    own recruiter and hiring manager run the interviews their role runs."""
    kinds = {p.kind_key for p in planned}
    pool = db.session.execute(
        select(PoolMember.kind_key, PoolMember.user_id).where(
            PoolMember.position_id == position.id, PoolMember.kind_key.in_(kinds)
        )
    ).all()
    qualified = set(
        db.session.execute(
            select(StaffQualification.user_id, StaffQualification.kind_key).where(
                StaffQualification.kind_key.in_(kinds)
            )
        ).all()
    )
    members = {user_id for _, user_id in pool}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(members | _owners(position))))}
    found: dict[str, set[int]] = {kind: set() for kind in kinds}
    for p in planned:
        for kind, user_id in pool:
            user = users.get(user_id)
            if kind != p.kind_key or user is None or not user.active or not user.has_role(p.run_by_role):
                continue
            if p.needs_qualification and (user_id, kind) not in qualified:
                continue
            found[kind].add(user_id)
        if p.run_by_role == Role.RECRUITER.value and position.recruiter_id in users:
            found[p.kind_key].add(position.recruiter_id)
        if p.run_by_role == Role.HIRING_MANAGER.value and position.hiring_manager_id in users:
            found[p.kind_key].add(position.hiring_manager_id)
    return found


def _owners(position: Position) -> set[int]:
    return {i for i in (position.recruiter_id, position.hiring_manager_id) if i}


@functools.lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> frozenset[date]:
    try:
        return frozenset(holiday_calendars.country_holidays(country, years=year))
    except NotImplementedError:  # a country the calendar does not know: no public holidays
        return frozenset()


def public_holidays(country: str, first: date, last: date) -> set[date]:
    if not country:
        return set()
    days: set[date] = set()
    for year in range(first.year, last.year + 1):
        days |= {d for d in _holidays(country.upper(), year) if first <= d <= last}
    return days


def load_interviewers(
    people: set[int],
    kinds_of: dict[int, set[str]],
    earliest: datetime,
    latest: datetime,
    settings: Settings,
    *,
    exclude_group: str | None = None,
    ignore_bookings: bool = False,
) -> list[Interviewer]:
    """Each person's free time between earliest and latest (availability, minus holidays, leave, their
    own calendar's busy times and their interviews with a buffer around them) and their load; with
    `ignore_bookings`, as if nobody had booked anything (what could ever have been offered)."""
    if not people:
        return []
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(people)))}
    profiles = {
        p.user_id: p for p in db.session.scalars(select(SchedulingProfile).where(SchedulingProfile.user_id.in_(people)))
    }
    windows: dict[int, list[Window]] = {i: [] for i in people}
    for w in db.session.scalars(select(AvailabilityWindow).where(AvailabilityWindow.user_id.in_(people))):
        windows[w.user_id].append(Window(w.start_minute, w.end_minute, w.weekday, w.on_date))
    # Loads count the whole weeks around the range, so a weekly limit sees the week's earlier days.
    week_start = earliest - timedelta(days=8)
    week_end = latest + timedelta(days=8)
    first_day, last_day = (earliest - timedelta(days=1)).date(), (latest + timedelta(days=2)).date()
    blocked: dict[int, set[date]] = {i: set() for i in people}
    for b in db.session.scalars(
        select(BlockedDay).where(BlockedDay.user_id.in_(people), BlockedDay.day.between(first_day, last_day))
    ):
        blocked[b.user_id].add(b.day)
    busy: dict[int, list[Interval]] = {i: [] for i in people}
    for b in db.session.scalars(
        select(BusyTime).where(BusyTime.user_id.in_(people), BusyTime.ends_at > earliest, BusyTime.starts_at < week_end)
    ):
        busy[b.user_id].append(Interval(b.starts_at, b.ends_at))
    booked: dict[int, list[Interval]] = {i: [] for i in people}
    taken = select(Interview.interviewer_id, Interview.starts_at, Interview.ends_at).where(
        Interview.interviewer_id.in_(people),
        holds_time_clause(),
        Interview.ends_at > week_start,
        Interview.starts_at < week_end,
    )
    if exclude_group:
        taken = taken.where(Interview.group_id != exclude_group)
    for interview in [] if ignore_bookings else db.session.execute(taken):
        booked[interview.interviewer_id].append(Interval(interview.starts_at, interview.ends_at))

    found = []
    for person in sorted(people):
        user = users.get(person)
        if user is None or not user.active:
            continue
        profile = profiles.get(person)
        zone = zone_of(user)
        country = profile.holiday_country if profile and profile.holiday_country else settings.default_country
        days_off = blocked[person] | public_holidays(country, first_day, last_day)
        free = availability(windows[person], zone, first_day, last_day, days_off)
        free = subtract(free, pad(booked[person], settings.buffer) + busy[person])
        per_day: dict[date, int] = {}
        per_week: dict[tuple[int, int], int] = {}
        for interval in booked[person]:
            local = interval.start.astimezone(zone)
            per_day[local.date()] = per_day.get(local.date(), 0) + 1
            week = local.isocalendar()[:2]
            per_week[week] = per_week.get(week, 0) + 1
        found.append(
            Interviewer(
                id=person,
                kinds=frozenset(kinds_of.get(person, ())),
                free=FreeTime(free),
                zone=zone,
                max_per_day=profile.max_per_day if profile else 4,
                max_per_week=profile.max_per_week if profile else 12,
                per_day=per_day,
                per_week=per_week,
            )
        )
    return found


def _candidate_busy(application: Application, exclude_group: str | None = None) -> list[Interval]:
    query = select(Interview.starts_at, Interview.ends_at).where(
        Interview.candidate_id == application.candidate_id, holds_time_clause()
    )
    if exclude_group:
        query = query.where(Interview.group_id != exclude_group)
    return [Interval(s, e) for s, e in db.session.execute(query)]


# --- offering start times -------------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    steps: tuple[Step, ...]
    starts: tuple[datetime, ...]  # UTC, in order
    loop_minutes: int


def offer(application: Application, *, now: datetime | None = None, exclude_group: str | None = None) -> Offer:
    """The start times at which the application's current stage can be booked, whole, within the horizon."""
    settings = Settings.from_config()
    now = now or utcnow()
    planned = planned_interviews(application)
    steps = tuple(steps_for(application))
    if not steps:
        return Offer((), (), 0)
    earliest, latest = now + settings.notice, now + settings.horizon
    pool = _pool(application, planned, earliest, latest, settings, exclude_group=exclude_group)
    length = loops.loop_length(steps, settings.loop_break)
    candidate_free = FreeTime(
        subtract([Interval(earliest, latest + timedelta(minutes=length))], _candidate_busy(application, exclude_group))
    )
    first = [p for p in pool if steps[0].kind in p.kinds]
    possible = sorted(
        {
            s
            for p in first
            for s in start_times(
                p.free.intervals, steps[0].minutes, earliest=earliest, latest=latest, step_minutes=START_STEP_MINUTES
            )
        }
    )
    free_for_candidate = [s for s in possible if candidate_free.fits(s, s + timedelta(minutes=length))]
    # One search over the whole horizon (its set-up is shared by every start it answers).
    found = loops.loop_starts(steps, pool, free_for_candidate, settings.loop_break)
    return Offer(steps, tuple(found), length)


def _pool(
    application, planned, earliest, latest, settings, *, exclude_group=None, ignore_bookings=False
) -> list[Interviewer]:
    eligible = eligible_people(application.position, planned)
    kinds_of: dict[int, set[str]] = {}
    for kind, people in eligible.items():
        for person in people:
            kinds_of.setdefault(person, set()).add(kind)
    # Moving a booking: its own interviews do not stand in its way.
    return load_interviewers(
        set(kinds_of),
        kinds_of,
        earliest,
        latest,
        settings,
        exclude_group=exclude_group,
        ignore_bookings=ignore_bookings,
    )


def nearest(starts: tuple[datetime, ...], wanted: datetime, count: int = 3) -> list[datetime]:
    """The free start times closest to the one that was wanted, in order of time."""
    return sorted(sorted(starts, key=lambda s: (abs((s - wanted).total_seconds()), s))[:count])


# --- booking, moving, cancelling ------------------------------------------------------------------


def _lock_people(ids: set[int]) -> None:
    """Serialise bookings that involve the same people, so that what is read next is current."""
    ordered = sorted(ids)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(User.id).where(User.id.in_(ordered)).order_by(User.id).with_for_update())
    else:
        # SQLite has one writer at a time: the first write of the transaction takes that lock, and
        # everything read after it is what the last writer committed.
        db.session.execute(
            update(User).where(User.id.in_(ordered)).values(session_version=User.session_version),
            execution_options={"synchronize_session": False},
        )


def _may_book(application: Application, actor: User) -> None:
    from portal.security import policy

    if actor.id != application.candidate_id and not policy.runs_application(actor, application):
        raise NotAllowed("You cannot book interviews for this application.")


@transactional
def book(application_id: int, start: datetime, actor: User, *, now: datetime | None = None) -> list[Interview]:
    """Book the current stage's interviews (one, or the whole loop) starting at `start`, or none."""
    now = now or utcnow()
    application = hiring.lock_application(application_id)
    if application is None:
        raise LookupError(application_id)
    _may_book(application, actor)
    placements = _placements(application, start, now)  # takes the people's locks first
    if current_booking(application):
        raise DomainError("This step is booked already: move it instead.")
    interviews = _insert(application, placements, actor)
    audit.record(
        "interview.booked",
        application,
        actor=actor,
        group=interviews[0].group_id,
        starts_at=start.isoformat(),
        interviewers=[i.interviewer_id for i in interviews],
    )
    timeline.record(application, timeline.INTERVIEW_BOOKED, actor, about_at=interviews[0].starts_at)
    stage_progress.hand_to_staff(application, step="booked")
    notify.booked(interviews)
    return interviews


def _placements(application: Application, start: datetime, now: datetime, *, exclude_group: str | None = None):
    settings = Settings.from_config()
    planned = planned_interviews(application)
    steps = steps_for(application)
    if not steps:
        raise NothingToBook("There is nothing to book at this step.")
    if start.tzinfo is None:
        raise ValueError("start must be an aware instant")
    if not could_be_offered(start, now):
        raise NotOffered()
    eligible = eligible_people(application.position, planned)
    _lock_people(set().union(*eligible.values()) | {application.candidate_id})
    pool = _pool(
        application,
        planned,
        start - timedelta(days=1),
        start + timedelta(days=1),
        settings,
        exclude_group=exclude_group,
    )
    length = timedelta(minutes=loops.loop_length(steps, settings.loop_break))
    candidate = FreeTime(subtract([Interval(start, start + length)], _candidate_busy(application, exclude_group)))
    if not candidate.fits(start, start + length):
        raise SlotTaken("You have another interview at that time.")
    placements = loops.assemble(steps, pool, start, settings.loop_break)
    if placements is None:
        # Taken, or never there? Without anyone's bookings, would the time hold a loop?
        unbooked = _pool(
            application, planned, start - timedelta(days=1), start + timedelta(days=1), settings, ignore_bookings=True
        )
        if loops.assemble(steps, unbooked, start, settings.loop_break) is None:
            raise NotOffered()
        raise SlotTaken()
    return list(zip(planned, placements, strict=True))


def _insert(application: Application, placements, actor: User, group: str | None = None) -> list[Interview]:
    config = current_app.config
    group = group or uuid.uuid4().hex  # the interviews booked together move and cancel together
    interviews = []
    for planned, placement in placements:
        interview = Interview(
            application_id=application.id,
            stage_id=application.stage_id,
            planned_interview_id=planned.id,
            kind_key=placement.kind,
            interviewer_id=placement.interviewer_id,
            candidate_id=application.candidate_id,
            starts_at=placement.starts_at,
            ends_at=placement.ends_at,
            group_id=group,
        )
        db.session.add(interview)
        interviews.append(interview)
    _flush_or_taken()
    for interview in interviews:
        if not interview.video_link:
            interview.video_link = config["VIDEO_LINK_TEMPLATE"].format(uid=interview.uid.split("@")[0])
        hiring.add_to_panel(actor, application, db.session.get(User, interview.interviewer_id))
    db.session.flush()
    return interviews


def _flush_or_taken() -> None:
    """Write the interviews; PostgreSQL's exclusion constraints refusing an overlap is "just taken"."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        if "never_double_booked" in str(exc.orig):
            raise SlotTaken() from None
        raise


def _locked_group(group_id: str) -> tuple[Application, list[Interview]]:
    """A booking's application and its interviews, locked in the order every booking locks: the
    application first, then its interviews (then, when moving, the people)."""
    application_id = db.session.scalar(select(Interview.application_id).where(Interview.group_id == group_id).limit(1))
    application = hiring.lock_application(application_id) if application_id is not None else None
    found = list(
        db.session.scalars(
            select(Interview)
            .where(Interview.group_id == group_id, holds_time_clause())
            .order_by(Interview.starts_at)
            .options(lazyload("*"))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if application is None:
        raise LookupError(group_id)
    if not found:
        # Cancelled meanwhile (a second click, or someone else): nothing left to change.
        raise BookingGone("This interview was already cancelled.")
    return application, found


def _check_change_allowed(application: Application, interviews: list[Interview], actor: User, now: datetime) -> None:
    from portal.security import policy

    if actor.id == application.candidate_id:
        cutoff = Settings.from_config().cutoff
        if interviews[0].starts_at - now < cutoff:
            hours = int(cutoff.total_seconds() // 3600)
            raise DomainError(
                f"Interviews can be moved or cancelled up to {hours} hours before they start. "
                "Please write to your recruiter."
            )
    elif not policy.runs_application(actor, application):
        raise NotAllowed("Only the position's recruiter or hiring manager can change these interviews.")


@transactional
def reschedule(
    group_id: str, start: datetime, actor: User, reason: str, *, now: datetime | None = None
) -> list[Interview]:
    """Move a booking (the same interviews: their calendar identity stays, their SEQUENCE grows)."""
    now = now or utcnow()
    application, found = _locked_group(group_id)
    _check_change_allowed(application, found, actor, now)
    reason = typed_text(reason, max_length=500, required="Please give a reason for moving the interview.")
    if start == found[0].starts_at:
        raise DomainError("That is the time already booked: choose another one.")
    placements = _placements(application, start, now, exclude_group=group_id)
    moved_from = found[0].starts_at
    # The same rows move: earlier mails' links keep working and show the current time.
    for interview in found:
        interview.status = InterviewStatus.CANCELLED.value  # out of the constraint's way while moving
    db.session.flush()
    by_planned = {i.planned_interview_id: i for i in found}
    released = []
    for planned, placement in placements:
        interview = by_planned.get(planned.id) or found[0]
        if interview.interviewer_id != placement.interviewer_id:
            released.append((interview, interview.interviewer))
        interview.status = InterviewStatus.BOOKED.value
        interview.interviewer_id = placement.interviewer_id
        interview.starts_at = placement.starts_at
        interview.ends_at = placement.ends_at
        interview.sequence += 1
        hiring.add_to_panel(actor, application, db.session.get(User, placement.interviewer_id))
    _flush_or_taken()
    audit.record(
        "interview.rescheduled",
        application,
        actor=actor,
        group=group_id,
        moved_from=moved_from.isoformat(),
        starts_at=start.isoformat(),
        reason=reason,
    )
    # The reason goes to the candidate in the mail about the move, so their timeline may show it too.
    timeline.record(
        application,
        timeline.INTERVIEW_MOVED,
        actor,
        about_at=found[0].starts_at,
        message=reason,
        stage_id=found[0].stage_id,
    )
    for interview in found:
        db.session.refresh(interview, ["interviewer"])
    notify.moved(found, reason, released)
    return found


@transactional
def cancel(group_id: str, actor: User, reason: str, *, now: datetime | None = None) -> list[Interview]:
    """Cancel a booking; the step can then be booked again."""
    now = now or utcnow()
    application, found = _locked_group(group_id)
    _check_change_allowed(application, found, actor, now)
    reason = typed_text(reason, max_length=500, required="Please give a reason for cancelling the interview.")
    _cancel(found, reason)
    audit.record("interview.cancelled", application, actor=actor, group=group_id, reason=reason)
    timeline.record(
        application,
        timeline.INTERVIEW_CANCELLED,
        actor,
        about_at=found[0].starts_at,
        message=reason,
        stage_id=found[0].stage_id,
    )
    notify.cancelled(found, reason)
    if application.is_active and application.stage_id == found[0].stage_id:
        stage_progress.hand_to_candidate(application, "Book a new time for your interview.", step="booking")
    return found


OUTCOMES = (InterviewStatus.COMPLETED.value, InterviewStatus.NO_SHOW.value)


@transactional
def record_outcome(interview_id: int, status: str, actor: User, *, now: datetime | None = None) -> Interview:
    """Mark an interview that has started as completed or as a no-show (its interviewer, or who runs
    the application)."""
    from portal.security import policy

    now = now or utcnow()
    interview = db.session.scalar(
        select(Interview)
        .where(Interview.id == interview_id)
        .options(lazyload("*"))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if interview is None:
        raise LookupError(interview_id)
    application = interview.application
    if actor.id != interview.interviewer_id and not policy.runs_application(actor, application):
        raise NotAllowed("Only the interviewer or the position's recruiter or hiring manager can record this.")
    if status not in OUTCOMES:
        raise DomainError("Choose completed or no-show.")
    if interview.status == InterviewStatus.CANCELLED.value:
        raise DomainError("This interview was cancelled.")
    if interview.starts_at > now:
        raise DomainError("An interview can be marked once it has started.")
    interview.status = status
    audit.record(f"interview.{status}", application, actor=actor, interview=interview.id, kind=interview.kind_key)
    return interview


def round_complete(application: Application) -> bool:
    """Every interview of the current stage was held (none booked ahead, none missed): ready for review."""
    found = [
        i
        for i in db.session.scalars(
            select(Interview).where(
                Interview.application_id == application.id, Interview.stage_id == application.stage_id
            )
        )
        if i.holds_time
    ]
    return bool(found) and all(i.status == InterviewStatus.COMPLETED.value for i in found)


def _cancel(interviews: list[Interview], reason: str) -> None:
    for interview in interviews:
        interview.status = InterviewStatus.CANCELLED.value
        interview.cancel_reason = reason
        interview.sequence += 1
    db.session.flush()


def cancel_future_interviews(
    application: Application, reason: str, now: datetime | None = None, *, stage_id: int | None = None
) -> list[Interview]:
    """Cancel every interview of the application that has not started (rejected, withdrawn, closed),
    or only those of one stage (a stage the application has left)."""
    now = now or utcnow()
    query = select(Interview).where(
        Interview.application_id == application.id, holds_time_clause(), Interview.starts_at > now
    )
    if stage_id is not None:
        query = query.where(Interview.stage_id == stage_id)
    future = list(db.session.scalars(query).unique())
    _cancel(future, reason)
    groups: dict[str, list[Interview]] = {}
    for interview in sorted(future, key=lambda i: i.starts_at):
        groups.setdefault(interview.group_id, []).append(interview)
    for interviews in groups.values():
        notify.cancelled(interviews, reason)
    return future
