"""Interview scheduling: staff availability, each position's interviewer pool, and the interviews booked.

Times of availability are wall-clock minutes in the staff member's own zone (so a weekly window
stays at 09:00 across a daylight-saving switch); interviews are UTC instants. The rule that nobody
is in two interviews at once is the database's: on PostgreSQL two exclusion constraints (one per
interviewer, one per candidate), on SQLite writers are serialised and the booking re-checks inside
its write transaction (services.py).
"""

from __future__ import annotations

import enum
import secrets
import uuid
from datetime import date, datetime

from sqlalchemy import DDL, JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, event, text
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.extensions import db
from portal.hiring.models import Application, InterviewKind, sql_list
from portal.timeutil import UTCDateTime, utcnow

MINUTES_PER_DAY = 24 * 60


class SchedulingProfile(db.Model):
    """A staff member's scheduling settings: holidays' country, limits, their own calendar, feed token."""

    __tablename__ = "scheduling_profiles"
    __table_args__ = (
        CheckConstraint("max_per_day BETWEEN 1 AND 12", name="sensible_daily_limit"),
        CheckConstraint("max_per_week BETWEEN 1 AND 40", name="sensible_weekly_limit"),
        CheckConstraint("max_per_week >= max_per_day", name="week_holds_a_day"),
        CheckConstraint("calendar_kind IS NULL OR calendar_kind IN ('ics', 'caldav')", name="known_calendar_kind"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # ISO 3166 country whose public holidays block the day ("" for none).
    holiday_country: Mapped[str] = mapped_column(String(2), default="")
    max_per_day: Mapped[int] = mapped_column(default=4)
    max_per_week: Mapped[int] = mapped_column(default=12)
    # The staff member's own calendar, whose busy times block slots.
    calendar_kind: Mapped[str | None] = mapped_column(String(8))
    calendar_url: Mapped[str | None] = mapped_column(String(500))
    calendar_username: Mapped[str | None] = mapped_column(String(200))
    calendar_secret: Mapped[str | None] = mapped_column(String(500))
    calendar_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the calendar was last read, whatever the outcome: a failing one is retried on the same rhythm
    # as a working one, not on every pass of the worker.
    calendar_attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    calendar_error: Mapped[str] = mapped_column(Text, default="")
    # The private feed of their upcoming interviews; a new token revokes the old address.
    feed_token: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: secrets.token_urlsafe(32))

    user: Mapped[User] = relationship()


class AvailabilityWindow(db.Model):
    """A time a staff member can interview: every week on a weekday, or once on a date (their zone)."""

    __tablename__ = "availability_windows"
    __table_args__ = (
        CheckConstraint("(weekday IS NULL) <> (on_date IS NULL)", name="weekly_or_dated"),
        CheckConstraint("weekday IS NULL OR weekday BETWEEN 0 AND 6", name="known_weekday"),
        CheckConstraint(f"start_minute >= 0 AND end_minute <= {MINUTES_PER_DAY}", name="within_a_day"),
        CheckConstraint("start_minute < end_minute", name="starts_before_it_ends"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int | None]  # 0 = Monday
    on_date: Mapped[date | None] = mapped_column(Date)
    start_minute: Mapped[int]
    end_minute: Mapped[int]


class BlockedDay(db.Model):
    """A day a staff member does not interview (leave), on top of their country's public holidays."""

    __tablename__ = "blocked_days"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(String(200), default="")


class BusyTime(db.Model):
    """A busy interval read from a staff member's own calendar (replaced on every refresh)."""

    __tablename__ = "busy_times"
    __table_args__ = (CheckConstraint("starts_at < ends_at", name="starts_before_it_ends"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PoolMember(db.Model):
    """Who may interview for a position, and for which kind of interview."""

    __tablename__ = "interview_pool"

    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    kind_key: Mapped[str] = mapped_column(ForeignKey("interview_kinds.key", ondelete="CASCADE"), primary_key=True)

    user: Mapped[User] = relationship()
    kind: Mapped[InterviewKind] = relationship(lazy="joined")


class InterviewStatus(str, enum.Enum):
    BOOKED = "booked"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {"booked": "Booked", "completed": "Completed", "no_show": "No-show", "cancelled": "Cancelled"}[
            self.value
        ]


# Interviews that hold their time: every one but a cancelled one.
HOLDS_TIME = f"status <> '{InterviewStatus.CANCELLED.value}'"


class Interview(db.Model):
    """One interview of an application: who, when (UTC), which kind, and its calendar identity."""

    __tablename__ = "interviews"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="starts_before_it_ends"),
        CheckConstraint(f"status IN ({sql_list(s.value for s in InterviewStatus)})", name="known_status"),
        CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        # Nobody is in two interviews at once, whoever books them and however many at the same moment.
        ExcludeConstraint(
            (text("interviewer_id"), "="),
            (text("tstzrange(starts_at, ends_at)"), "&&"),
            name="interviewer_never_double_booked",
            using="gist",
            where=text(HOLDS_TIME),
        ).ddl_if(dialect="postgresql"),
        ExcludeConstraint(
            (text("candidate_id"), "="),
            (text("tstzrange(starts_at, ends_at)"), "&&"),
            name="candidate_never_double_booked",
            using="gist",
            where=text(HOLDS_TIME),
        ).ddl_if(dialect="postgresql"),
        Index("ix_interviews_interviewer_starts", "interviewer_id", "starts_at"),
        Index("ix_interviews_candidate_starts", "candidate_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The iCalendar UID: never changes, so calendars update the same event on every change.
    uid: Mapped[str] = mapped_column(String(80), unique=True, default=lambda: f"{uuid.uuid4()}@candor")
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"))
    planned_interview_id: Mapped[int | None] = mapped_column(ForeignKey("planned_interviews.id", ondelete="SET NULL"))
    kind_key: Mapped[str] = mapped_column(ForeignKey("interview_kinds.key"))
    interviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The application's candidate, kept here so the database can hold the candidate's no-overlap rule.
    candidate_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Interviews booked together (an on-site loop) share a group and move together.
    group_id: Mapped[str] = mapped_column(String(40), index=True, default=lambda: uuid.uuid4().hex)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=InterviewStatus.BOOKED.value)
    # iCalendar SEQUENCE: one more on every change the attendees must see.
    sequence: Mapped[int] = mapped_column(default=0)
    video_link: Mapped[str] = mapped_column(String(300), default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    application: Mapped[Application] = relationship()
    interviewer: Mapped[User] = relationship(foreign_keys=[interviewer_id], lazy="joined")
    candidate: Mapped[User] = relationship(foreign_keys=[candidate_id])
    kind: Mapped[InterviewKind] = relationship(lazy="joined")

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def holds_time(self) -> bool:
        return self.status != InterviewStatus.CANCELLED.value

    @property
    def status_label(self) -> str:
        return InterviewStatus(self.status).label


def holds_time_clause():
    return Interview.status != InterviewStatus.CANCELLED.value


def overlapping(start: datetime, end: datetime):
    """SQL: interviews holding time that overlap [start, end)."""
    return (Interview.starts_at < end) & (Interview.ends_at > start) & holds_time_clause()


# The exclusion constraints compare an id with = inside a GiST index, which needs btree_gist.
event.listen(
    Interview.__table__,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS btree_gist").execute_if(dialect="postgresql"),
)


class AccommodationKind(str, enum.Enum):
    EXTRA_TIME = "extra_time"
    BREAKS = "breaks"
    OTHER_FORMAT = "other_format"
    INTERPRETER = "interpreter"

    @property
    def label(self) -> str:
        return {
            "extra_time": "Extra time",
            "breaks": "Breaks between interviews",
            "other_format": "A different format (for example by phone, or in writing)",
            "interpreter": "An interpreter",
        }[self.value]


class AccommodationStatus(str, enum.Enum):
    PENDING = "pending"
    GRANTED = "granted"
    DECLINED = "declined"


class AccommodationRequest(db.Model):
    """A candidate's request for an accommodation in their interviews, and the recruiter's answer."""

    __tablename__ = "accommodation_requests"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_list(s.value for s in AccommodationStatus)})", name="known_status"),
        CheckConstraint("extra_minutes BETWEEN 0 AND 120", name="sensible_extra_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    kinds: Mapped[list] = mapped_column(JSON, default=list)
    details: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=AccommodationStatus.PENDING.value)
    # Granted extra time: added to each interview booked from then on.
    extra_minutes: Mapped[int] = mapped_column(default=0)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def kind_labels(self) -> list[str]:
        return [AccommodationKind(k).label for k in self.kinds or [] if k in {a.value for a in AccommodationKind}]
