"""UTC everywhere inside; working-day arithmetic for stage SLAs."""

from __future__ import annotations

import calendar
import functools
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def zone_of(user) -> ZoneInfo:
    """The time zone a person reads times in (their profile's), UTC when none or unknown."""
    try:
        return ZoneInfo(getattr(user, "timezone", None) or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware timestamp on every database: SQLite gives naive values back, which are UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def add_working_days(start: datetime, days: int) -> datetime:
    """The moment `days` working days (Monday to Friday) after `start`."""
    return start + timedelta(days=_calendar_days_for(start.weekday(), days))


@functools.lru_cache(maxsize=512)
def _calendar_days_for(weekday: int, working_days: int) -> int:
    # Depends only on the weekday of the start: computed once per pair (pages judge many rows).
    calendar_days = added = 0
    while added < working_days:
        calendar_days += 1
        if (weekday + calendar_days) % 7 < 5:
            added += 1
    return calendar_days


def add_months(day: date, months: int) -> date:
    """Same day of month `months` later, clamped to that month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
