"""Free time as plain intervals: availability windows turned into instants, minus what is busy.

Pure functions over small inputs (no database, no clock): the services read the rows, these
compute. Windows are wall-clock minutes in the staff member's zone, turned into UTC per date with
zoneinfo, so a window at 09:00 stays at 09:00 local across a daylight-saving switch; a window
starting in the hour a spring switch skips begins when the clock resumes.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

UTC = timezone.utc


@dataclass(frozen=True, order=True)
class Interval:
    """[start, end) in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self):
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("intervals are aware instants")

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60

    def contains(self, start: datetime, end: datetime) -> bool:
        return self.start <= start and end <= self.end

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end


@dataclass(frozen=True)
class Window:
    """Available from start_minute to end_minute (local wall clock) every `weekday`, or on `on_date`."""

    start_minute: int
    end_minute: int
    weekday: int | None = None  # 0 = Monday
    on_date: date | None = None

    def applies_to(self, day: date) -> bool:
        return self.on_date == day if self.on_date is not None else day.weekday() == self.weekday


def local_instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of `minute` minutes after midnight on `day`, as a wall clock in `zone` shows it."""
    days, minute = divmod(minute, 24 * 60)
    wall = datetime.combine(day + timedelta(days=days), time(minute // 60, minute % 60), tzinfo=zone)
    instant = wall.astimezone(UTC)
    naive = wall.replace(tzinfo=None)
    if instant.astimezone(zone).replace(tzinfo=None) == naive:
        return instant
    # A time the clock skips (spring forward) does not exist: it stands for the moment the clock
    # resumes, the first instant whose local time is later. It lies between the two readings of the
    # wall time (with the offset before and after the switch).
    low, high = wall.replace(fold=1).astimezone(UTC), instant
    if low > high:
        low, high = high, low
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def merge(intervals: Iterable[Interval], *, closed: bool = False) -> list[Interval]:
    """Sorted, with overlapping and touching intervals joined. Empty intervals are dropped, unless
    `closed` (sets of instants [start, end], where a single instant counts)."""
    merged: list[Interval] = []
    for interval in sorted(intervals):
        if interval.end < interval.start or (interval.end == interval.start and not closed):
            continue
        if merged and interval.start <= merged[-1].end:
            if interval.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, interval.end)
        else:
            merged.append(interval)
    return merged


def availability(
    windows: Iterable[Window], zone: ZoneInfo, first_day: date, last_day: date, blocked: Iterable[date] = ()
) -> list[Interval]:
    """The windows as UTC intervals on each local day from first_day to last_day (inclusive), except blocked days."""
    blocked = set(blocked)
    windows = list(windows)
    found = []
    day = first_day
    while day <= last_day:
        if day not in blocked:
            for window in windows:
                if window.applies_to(day):
                    found.append(
                        Interval(
                            local_instant(day, window.start_minute, zone), local_instant(day, window.end_minute, zone)
                        )
                    )
        day += timedelta(days=1)
    return merge(found)


def subtract(free: Sequence[Interval], busy: Iterable[Interval]) -> list[Interval]:
    """What remains of `free` once every busy interval is taken out."""
    busy = merge(busy)
    remaining: list[Interval] = []
    for interval in merge(free):
        start = interval.start
        # Busy intervals that may overlap this one: from the first ending after its start.
        index = bisect.bisect_right([b.end for b in busy], start)
        for taken in busy[index:]:
            if taken.start >= interval.end:
                break
            if taken.start > start:
                remaining.append(Interval(start, taken.start))
            start = max(start, taken.end)
        if start < interval.end:
            remaining.append(Interval(start, interval.end))
    return remaining


def pad(intervals: Iterable[Interval], minutes: int) -> list[Interval]:
    """Each interval widened by `minutes` on both sides (a buffer around booked interviews)."""
    margin = timedelta(minutes=minutes)
    return [Interval(i.start - margin, i.end + margin) for i in intervals]


def start_times(
    free: Sequence[Interval],
    minutes: int,
    *,
    earliest: datetime,
    latest: datetime,
    step_minutes: int = 15,
) -> list[datetime]:
    """Every start on the quarter hour (UTC) from which `minutes` fit inside one free interval, between
    earliest and latest (a start, not an end)."""
    length = timedelta(minutes=minutes)
    step = timedelta(minutes=step_minutes)
    starts = []
    for interval in free:
        start = max(interval.start, earliest)
        start = _round_up(start, step_minutes)
        while start + length <= interval.end and start <= latest:
            starts.append(start)
            start += step
    return starts


def _round_up(moment: datetime, step_minutes: int) -> datetime:
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    step = step_minutes * 60
    seconds = (moment - epoch).total_seconds()
    rounded = -(-seconds // step) * step
    return epoch + timedelta(seconds=rounded)


class FreeTime:
    """One person's free intervals, for fast "is [start, end) free?" questions (bisect, no scan).

    `closed` keeps intervals of a single instant (start == end): sets of possible start times."""

    def __init__(self, free: Iterable[Interval], *, closed: bool = False):
        self.intervals = merge(free, closed=closed)
        self._starts = [i.start for i in self.intervals]

    def fits(self, start: datetime, end: datetime) -> bool:
        index = bisect.bisect_right(self._starts, start) - 1
        return index >= 0 and self.intervals[index].contains(start, end)

    def has(self, moment: datetime) -> bool:
        """Whether `moment` lies in an interval, its end included (for sets of start times)."""
        index = bisect.bisect_right(self._starts, moment) - 1
        return index >= 0 and moment <= self.intervals[index].end
