"""A staff member's own calendar, whose busy times block slots: connect it, read it again (in the
background and on demand), disconnect it.

Reading a calendar is network work of up to several seconds, so it never runs inside a unit of work:
the calendar is read first, then one short transaction writes the outcome, which replaces that person's
busy times whole (or, when reading failed, keeps them and stores the reason). The password of a CalDAV
account is kept encrypted with a key derived from SECRET_KEY, never logged and never shown again.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import delete, or_, select, update

from portal import audit
from portal.accounts.models import User
from portal.forms import typed_text
from portal.errors import DomainError
from portal.extensions import db
from portal.scheduling import calendars
from portal.scheduling.calendars import CalendarError, Limits
from portal.scheduling.models import BusyTime, SchedulingProfile
from portal.scheduling.slots import Interval
from portal.scheduling.staff import profile_of
from portal.timeutil import utcnow, zone_of
from portal.unit_of_work import in_transaction, transactional

log = logging.getLogger("candor.calendars")

KINDS = {"ics": "ICS feed", "caldav": "CalDAV account"}
MAX_USERNAME = 200
MAX_PASSWORD = 200  # its encrypted form fits the 500 characters of calendar_secret
# Busy times are read from a day back (an interview starting within the notice) to past the horizon,
# by the margin the booking search reads beyond it (loads of the week after its last day).
PAST = timedelta(days=1)
MARGIN = timedelta(days=10)
DUE_PER_PASS = 20


# --- the password, encrypted at rest ---------------------------------------------------------------


def _box() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"candor calendar password").derive(
        current_app.config["SECRET_KEY"].encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(password: str) -> str:
    return _box().encrypt(password.encode()).decode()


def unseal(token: str) -> str | None:
    """The password, or None where it was sealed under another SECRET_KEY."""
    try:
        return _box().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None


# --- connecting and disconnecting -------------------------------------------------------------------


class CalendarInvalid(DomainError):
    """Bad input for the calendar form; `field` names the field the message belongs next to."""

    status = 400

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def limits() -> Limits:
    config = current_app.config
    return Limits(allow_private_hosts=config["CALENDAR_ALLOW_PRIVATE_HOSTS"], max_bytes=config["CALENDAR_MAX_BYTES"])


def connect(actor: User, user: User, *, kind: str, url: str, username: str = "", password: str = "") -> None:
    """Connect (or change) the staff member's calendar. An empty password keeps the one saved for the
    same account. Nothing is fetched here; the address is checked (its host resolved) before the write."""
    if not user.is_staff:
        raise DomainError("Only staff connect a calendar.")
    if kind not in KINDS:
        raise CalendarInvalid("calendar_kind", "Choose an ICS feed or a CalDAV account.")
    try:
        url = calendars.check_url(url, allow_private_hosts=limits().allow_private_hosts)
    except CalendarError as exc:
        raise CalendarInvalid("calendar_url", exc.message) from None
    try:
        username = typed_text(username, max_length=MAX_USERNAME)
    except DomainError as exc:
        raise CalendarInvalid("calendar_username", exc.message) from None
    if kind == "caldav" and not username:
        raise CalendarInvalid("calendar_username", "Give the user name of your CalDAV account.")
    if len(username) > MAX_USERNAME:
        raise CalendarInvalid("calendar_username", f"The user name is too long (at most {MAX_USERNAME} characters).")
    if len(password or "") > MAX_PASSWORD:
        raise CalendarInvalid("calendar_password", f"The password is too long (at most {MAX_PASSWORD} characters).")
    _save(actor, user, kind, url, username if kind == "caldav" else "", password if kind == "caldav" else "")


@transactional
def _save(actor: User, user: User, kind: str, url: str, username: str, password: str) -> None:
    profile = _locked_profile(user)
    same_account = (profile.calendar_kind, profile.calendar_url, profile.calendar_username or "") == (
        kind,
        url,
        username,
    )
    if kind == "caldav" and password:
        profile.calendar_secret = seal(password)
    elif kind == "caldav" and not (same_account and profile.calendar_secret):
        # A password is kept only for the account it was given for.
        raise CalendarInvalid("calendar_password", "Give the password of your CalDAV account.")
    elif kind == "ics":
        profile.calendar_secret = None
    if not same_account:
        # Another calendar: what the old one said no longer holds, and it is read on the next pass.
        db.session.execute(delete(BusyTime).where(BusyTime.user_id == user.id))
        profile.calendar_refreshed_at = None
        profile.calendar_attempted_at = None
        profile.calendar_error = ""
    profile.calendar_kind, profile.calendar_url = kind, url
    profile.calendar_username = username or None
    audit.record("scheduling.calendar_connected", user, actor=actor, kind=kind, host=_host(url))


@transactional
def disconnect(actor: User, user: User) -> None:
    """Forget the calendar, its password and every busy time it gave."""
    profile = _locked_profile(user)
    had = profile.calendar_kind
    profile.calendar_kind = profile.calendar_url = profile.calendar_username = profile.calendar_secret = None
    profile.calendar_refreshed_at = profile.calendar_attempted_at = None
    profile.calendar_error = ""
    db.session.execute(delete(BusyTime).where(BusyTime.user_id == user.id))
    if had:
        audit.record("scheduling.calendar_disconnected", user, actor=actor, kind=had)


def _locked_profile(user: User) -> SchedulingProfile:
    profile = profile_of(user)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            select(SchedulingProfile.user_id).where(SchedulingProfile.user_id == user.id).with_for_update()
        )
        db.session.refresh(profile)
    return profile


def _host(url: str | None) -> str:
    # The path of a feed address is often its secret (a private link): only the host is recorded.
    return urlsplit(url or "").hostname or ""


# --- reading the calendar ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """What a refresh reads, copied out of the profile, so that no database work waits on the network."""

    user_id: int
    kind: str
    url: str
    username: str
    sealed: str
    zone_key: str


@dataclass(frozen=True)
class Outcome:
    ok: bool
    busy: int = 0
    error: str = ""


def _source(user_id: int) -> Source | None:
    row = db.session.execute(
        select(SchedulingProfile, User)
        .join(User, User.id == SchedulingProfile.user_id)
        .where(SchedulingProfile.user_id == user_id)
    ).first()
    if row is None or not row[0].calendar_kind or not row[0].calendar_url:
        return None
    profile, user = row
    return Source(
        user_id=user_id,
        kind=profile.calendar_kind,
        url=profile.calendar_url,
        username=profile.calendar_username or "",
        sealed=profile.calendar_secret or "",
        zone_key=zone_of(user).key,
    )


def read_busy(source: Source, *, now: datetime) -> list[Interval]:
    """The busy intervals of the calendar over the booking horizon (network; raises CalendarError)."""
    from zoneinfo import ZoneInfo

    start = now - PAST
    end = now + timedelta(days=current_app.config["SCHEDULING_HORIZON_DAYS"]) + MARGIN
    zone = ZoneInfo(source.zone_key)
    if source.kind == "ics":
        return calendars.ics_busy(source.url, start, end, zone, limits())
    password = unseal(source.sealed) if source.sealed else ""
    if password is None:
        raise CalendarError("The saved password can no longer be read: please enter it again.")
    return calendars.caldav_busy(source.url, source.username, password, start, end, zone, limits())


def refresh(user: User, *, actor: User | None = None, now: datetime | None = None) -> Outcome:
    """Read the staff member's calendar now and store what it says (on demand, or for the worker)."""
    if in_transaction():
        raise RuntimeError("a calendar is read outside any unit of work: the network must not hold a transaction")
    now = now or utcnow()
    source = _source(user.id)
    if source is None:
        raise DomainError("No calendar is connected.")
    _claim(user.id, now, due_before=None)
    return _read_and_store(source, actor, now)


def _read_and_store(source: Source, actor: User | None, now: datetime) -> Outcome:
    _release_connection()
    try:
        busy = read_busy(source, now=now)
    except CalendarError as exc:
        _store_failure(source, exc.message, actor)
        return Outcome(False, error=exc.message)
    except Exception:  # noqa: BLE001  a library's own bug must not stop the worker; the owner sees a message
        log.exception("reading the calendar of user %s failed", source.user_id)
        message = "The calendar could not be read (an unexpected error)."
        _store_failure(source, message, actor)
        return Outcome(False, error=message)
    _store_busy(source, busy, now, actor)
    return Outcome(True, busy=len(busy))


def _release_connection() -> None:
    # The reads before the fetch opened a database transaction: end it, so the connection is not held
    # (idle in a transaction) while the calendar answers. Nothing is pending outside a unit of work.
    db.session.rollback()


@transactional
def _claim(user_id: int, now: datetime, *, due_before: datetime | None) -> bool:
    """Stamp the attempt; with `due_before`, only if nobody attempted since (two workers never read the
    same calendar twice in one round)."""
    condition = [SchedulingProfile.user_id == user_id, SchedulingProfile.calendar_kind.is_not(None)]
    if due_before is not None:
        condition.append(
            or_(SchedulingProfile.calendar_attempted_at.is_(None), SchedulingProfile.calendar_attempted_at < due_before)
        )
    done = db.session.execute(
        update(SchedulingProfile)
        .where(*condition)
        .values(calendar_attempted_at=now)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1


def _current(source: Source) -> SchedulingProfile | None:
    """The profile, locked, if it still names the calendar that was read (not changed or disconnected
    while it was being read)."""
    query = select(SchedulingProfile).where(SchedulingProfile.user_id == source.user_id)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    profile = db.session.scalar(query.execution_options(populate_existing=True))
    if profile is None or (profile.calendar_kind, profile.calendar_url, profile.calendar_username or "") != (
        source.kind,
        source.url,
        source.username,
    ):
        return None
    return profile


@transactional
def _store_busy(source: Source, busy: list[Interval], now: datetime, actor: User | None) -> None:
    profile = _current(source)
    if profile is None:
        return
    db.session.execute(delete(BusyTime).where(BusyTime.user_id == source.user_id))
    db.session.add_all(BusyTime(user_id=source.user_id, starts_at=i.start, ends_at=i.end) for i in busy)
    was_failing = bool(profile.calendar_error)
    profile.calendar_refreshed_at = now
    profile.calendar_error = ""
    # Someone asking, or a change of state, is audited; the quiet background rounds are not.
    if actor is not None or was_failing:
        audit.record(
            "scheduling.calendar_refreshed",
            object_type="users",
            object_id=source.user_id,
            actor=actor,
            busy=len(busy),
        )


@transactional
def _store_failure(source: Source, message: str, actor: User | None) -> None:
    profile = _current(source)
    if profile is None:
        return
    was_working = not profile.calendar_error
    profile.calendar_error = message
    if actor is not None or was_working:
        audit.record(
            "scheduling.calendar_failed", object_type="users", object_id=source.user_id, actor=actor, error=message
        )


@dataclass
class RefreshReport:
    read: int = 0
    failed: int = 0


def refresh_due(*, now: datetime | None = None, limit: int = DUE_PER_PASS) -> RefreshReport:
    """Read every calendar not read for CALENDAR_REFRESH_MINUTES (oldest first, at most `limit`)."""
    if in_transaction():
        raise RuntimeError("calendars are read outside any unit of work")
    now = now or utcnow()
    due_before = now - timedelta(minutes=current_app.config["CALENDAR_REFRESH_MINUTES"])
    due = list(
        db.session.scalars(
            select(SchedulingProfile.user_id)
            .where(
                SchedulingProfile.calendar_kind.is_not(None),
                or_(
                    SchedulingProfile.calendar_attempted_at.is_(None),
                    SchedulingProfile.calendar_attempted_at < due_before,
                ),
            )
            .order_by(SchedulingProfile.calendar_attempted_at.is_not(None), SchedulingProfile.calendar_attempted_at)
            .limit(limit)
        )
    )
    report = RefreshReport()
    for user_id in due:
        source = _source(user_id)
        if source is None or not _claim(user_id, now, due_before=due_before):
            continue  # disconnected meanwhile, or another worker took it
        outcome = _read_and_store(source, None, now)
        if outcome.ok:
            report.read += 1
        else:
            report.failed += 1
    return report


def work(interval: float = 60.0, stop_after: float | None = None, stop: threading.Event | None = None) -> None:
    """Read due calendars in a loop until `stop` is set (or for `stop_after` seconds)."""
    stop = stop or threading.Event()
    deadline = None if stop_after is None else time.monotonic() + stop_after
    while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
        try:
            report = refresh_due()
        except Exception:  # noqa: BLE001  the database may be restarting: keep going and try again
            db.session.rollback()
            log.exception("calendar pass failed")
            report = RefreshReport()
        if report.read or report.failed:
            log.info("calendars: read %s, failed %s", report.read, report.failed)
        pause = interval if deadline is None else min(interval, deadline - time.monotonic())
        if pause > 0 and not (report.read + report.failed >= DUE_PER_PASS):
            stop.wait(pause)
