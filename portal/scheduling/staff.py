"""What staff keep for scheduling: their weekly and one-off availability, days off, limits, and who is
in a position's interviewer pool. Each function that writes is one unit of work, audited."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date

import holidays as holiday_calendars
from sqlalchemy import delete, select

from portal import audit
from portal.accounts.models import Role, User
from portal.forms import strip_control_characters, typed_text
from portal.errors import DomainError
from portal.extensions import db
from portal.hiring.models import InterviewKind, PlannedInterview, Position, Stage, StaffQualification
from portal.scheduling.models import MINUTES_PER_DAY, AvailabilityWindow, BlockedDay, PoolMember, SchedulingProfile
from portal.unit_of_work import transactional


def profile_of(user: User) -> SchedulingProfile:
    """The staff member's scheduling profile, created with the defaults on first use."""
    found = db.session.get(SchedulingProfile, user.id)
    if found is None:
        found = SchedulingProfile(
            user_id=user.id, holiday_country="", max_per_day=4, max_per_week=12, calendar_error=""
        )
        db.session.add(found)
        db.session.flush()
    return found


def profile_of_readonly(user: User) -> SchedulingProfile:
    """The profile to show: the stored one, or the defaults (not saved) for someone who has none yet."""
    return db.session.get(SchedulingProfile, user.id) or SchedulingProfile(
        user_id=user.id, holiday_country="", max_per_day=4, max_per_week=12, calendar_error="", feed_token=""
    )


@transactional
def new_feed_address(actor: User, user: User) -> SchedulingProfile:
    """A new secret address for the staff member's calendar feed (the old one stops working)."""
    _staff(user)
    profile = profile_of(user)
    profile.feed_token = secrets.token_urlsafe(32)
    audit.record("scheduling.feed_address", user, actor=actor)
    return profile


def _staff(user: User) -> None:
    if not user.is_staff:
        raise DomainError("Only staff keep interview availability.")


# Hours and days off are planned at most this far ahead: a later date is a typing slip.
PLAN_AHEAD_DAYS = 366


def _check_day(user: User, day: date) -> None:
    """A date for hours or a day off: from today (in the person's own zone) up to a year ahead."""
    from datetime import timedelta

    from portal.timeutil import utcnow, zone_of

    today = utcnow().astimezone(zone_of(user)).date()
    if day < today:
        raise DomainError("Choose today or a later date.")
    if day > today + timedelta(days=PLAN_AHEAD_DAYS):
        raise DomainError("Choose a date within the next year.")


def _check_window(start_minute: int, end_minute: int) -> None:
    if not (0 <= start_minute < end_minute <= MINUTES_PER_DAY):
        raise DomainError("A time window must start before it ends, within one day.")
    if end_minute - start_minute < 15:
        raise DomainError("A time window must be at least 15 minutes long.")


@transactional
def set_weekly_windows(actor: User, user: User, windows: Iterable[tuple[int, int, int]]) -> None:
    """Replace the staff member's weekly availability: (weekday 0 = Monday, start minute, end minute)."""
    _staff(user)
    windows = sorted(set(windows))
    for weekday, start, end in windows:
        if weekday not in range(7):
            raise DomainError("Unknown day of the week.")
        _check_window(start, end)
    db.session.execute(
        delete(AvailabilityWindow).where(AvailabilityWindow.user_id == user.id, AvailabilityWindow.weekday.is_not(None))
    )
    for weekday, start, end in windows:
        db.session.add(AvailabilityWindow(user_id=user.id, weekday=weekday, start_minute=start, end_minute=end))
    audit.record("scheduling.weekly_windows", user, actor=actor, windows=[list(w) for w in windows])


@transactional
def add_dated_window(actor: User, user: User, on: date, start_minute: int, end_minute: int) -> AvailabilityWindow:
    """Availability on one date only (besides the weekly windows)."""
    _staff(user)
    _check_day(user, on)
    _check_window(start_minute, end_minute)
    overlapping = db.session.scalar(
        select(AvailabilityWindow.id).where(
            AvailabilityWindow.user_id == user.id,
            AvailabilityWindow.on_date == on,
            AvailabilityWindow.start_minute < end_minute,
            AvailabilityWindow.end_minute > start_minute,
        )
    )
    if overlapping is not None:
        raise DomainError("These hours overlap hours you already have on that day: remove those first.")
    window = AvailabilityWindow(user_id=user.id, on_date=on, start_minute=start_minute, end_minute=end_minute)
    db.session.add(window)
    audit.record("scheduling.dated_window", user, actor=actor, on=on.isoformat(), start=start_minute, end=end_minute)
    return window


@transactional
def remove_dated_window(actor: User, user: User, window_id: int) -> None:
    window = db.session.get(AvailabilityWindow, window_id)
    if window is None or window.user_id != user.id or window.on_date is None:
        raise DomainError("That window is not one of your one-off hours.")
    db.session.delete(window)
    audit.record("scheduling.dated_window_removed", user, actor=actor, on=window.on_date.isoformat())


@transactional
def block_day(actor: User, user: User, day: date, reason: str = "") -> list:
    """Block a day; the interviews already booked on it stay (a recruiter moves them) and are returned,
    so the person is told which ones to have moved."""
    _staff(user)
    _check_day(user, day)
    reason = typed_text(reason, max_length=200)
    if db.session.get(BlockedDay, (user.id, day)) is None:
        db.session.add(BlockedDay(user_id=user.id, day=day, reason=reason))
        audit.record("scheduling.day_blocked", user, actor=actor, day=day.isoformat())
    return booked_on(user, day)


def booked_on(user: User, day: date) -> list:
    """The staff member's interviews holding time on a day of their own zone."""
    from datetime import datetime, time, timedelta

    from portal.scheduling.models import Interview, holds_time_clause
    from portal.timeutil import zone_of

    zone = zone_of(user)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return list(
        db.session.scalars(
            select(Interview)
            .where(
                Interview.interviewer_id == user.id,
                holds_time_clause(),
                Interview.starts_at < end,
                Interview.ends_at > start,
            )
            .order_by(Interview.starts_at)
        ).unique()
    )


@transactional
def unblock_day(actor: User, user: User, day: date) -> None:
    """Work on a day after all: its day off is removed (public holidays stay as they are)."""
    blocked = db.session.get(BlockedDay, (user.id, day))
    if blocked is None:
        raise DomainError("That day is not one of your days off.")
    db.session.delete(blocked)
    audit.record("scheduling.day_unblocked", user, actor=actor, day=day.isoformat())


@transactional
def set_limits(
    actor: User, user: User, *, max_per_day: int, max_per_week: int, holiday_country: str | None = None
) -> SchedulingProfile:
    _staff(user)
    if not 1 <= max_per_day <= 12 or not 1 <= max_per_week <= 40 or max_per_week < max_per_day:
        raise DomainError("Limits: 1 to 12 interviews a day, 1 to 40 a week, and a week holds at least a day.")
    profile = profile_of(user)
    profile.max_per_day, profile.max_per_week = max_per_day, max_per_week
    if holiday_country is not None:
        country = holiday_country.strip().upper()
        if country and country not in holiday_calendars.list_supported_countries():
            raise DomainError("Unknown country for public holidays.")
        profile.holiday_country = country
    audit.record("scheduling.limits", user, actor=actor, per_day=max_per_day, per_week=max_per_week)
    return profile


@transactional
def set_pool_kinds(actor: User, position: Position, member: User, kind_keys: Iterable[str]) -> None:
    """The interview kinds `member` runs for `position` (replacing the earlier list; none removes them)."""
    if not member.is_staff:
        raise DomainError("Only staff can be in an interviewer pool.")
    wanted = set(kind_keys)
    # Only plausible keys are looked up: one with a NUL would not even reach PostgreSQL's comparison.
    plausible = {key for key in wanted if key.isascii() and key.isprintable() and len(key) <= 40}
    known = set(db.session.scalars(select(InterviewKind.key).where(InterviewKind.key.in_(plausible))))
    if wanted - known:
        unknown = ", ".join(sorted(strip_control_characters(kind)[:40] for kind in wanted - known)[:5])
        raise DomainError(f"Unknown interview kinds: {unknown}.")
    refusals = [why for key in sorted(wanted) if (why := _why_not_in_pool(position, member, key))]
    if refusals:
        raise DomainError(" ".join(refusals))
    db.session.execute(delete(PoolMember).where(PoolMember.position_id == position.id, PoolMember.user_id == member.id))
    for key in sorted(wanted):
        db.session.add(PoolMember(position_id=position.id, user_id=member.id, kind_key=key))
    audit.record("position.pool", position, actor=actor, member_id=member.id, kinds=sorted(wanted))


# Interviews that need no qualification and are run by a role the position names belong to that
# position's own recruiter or hiring manager (the recruiter screen, the hiring manager interview).
_OWNED_BY_POSITION = {Role.RECRUITER.value: "recruiter_id", Role.HIRING_MANAGER.value: "hiring_manager_id"}


def _may_run(member: User, position: Position, planned: PlannedInterview, qualified: set[str]) -> bool:
    if not member.has_role(planned.run_by_role):
        return False
    if planned.needs_qualification:
        return planned.kind_key in qualified
    if planned.run_by_role in _OWNED_BY_POSITION:
        return member.id == getattr(position, _OWNED_BY_POSITION[planned.run_by_role])
    return True


def _why_not_in_pool(position: Position, member: User, kind_key: str) -> str | None:
    """Why `member` may not run `kind_key` interviews for `position` by its interview plan (who runs each
    kind: a role, and a qualification where the plan asks for one), if they may not. A pool entry that
    booking would never use only misleads whoever reads the pool."""
    kind = db.session.get(InterviewKind, kind_key)
    planned = list(
        db.session.scalars(
            select(PlannedInterview)
            .join(Stage, PlannedInterview.stage_id == Stage.id)
            .where(Stage.template_id == position.process_id, PlannedInterview.kind_key == kind_key)
        )
    )
    if not planned:
        return f"The {kind.name} interview is not part of this position's process."
    qualified = set(
        db.session.scalars(select(StaffQualification.kind_key).where(StaffQualification.user_id == member.id))
    )
    if any(_may_run(member, position, p, qualified) for p in planned):
        return None
    first = planned[0]
    if not first.needs_qualification and first.run_by_role in _OWNED_BY_POSITION:
        owner = Role(first.run_by_role).label.lower()
        return f"The {kind.name} interview is run by this position's {owner}, not {member.name}."
    if not any(member.has_role(p.run_by_role) for p in planned):
        roles = " or ".join(sorted({Role(p.run_by_role).label for p in planned}))
        return f"{member.name} cannot run the {kind.name} interview: it is run by staff with the {roles} role."
    return f"{member.name} is not qualified to run the {kind.name} interview."
