"""On-site loop assembly: back-to-back interviews of the required kinds, each with a different
qualified interviewer who is free and under their limits. Pure functions over plain data.

The search tries the interviews in the plan's order; for each, the qualified interviewers not yet
in the loop, least loaded this week first (then by id, so the answer is stable), and backtracks
when a later interview finds nobody. It is bounded: a loop has at most a handful of interviews,
and a day's start times are few.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from portal.scheduling.slots import FreeTime

# Each candidate start explores at most this many partial assignments before giving up on it.
SEARCH_BUDGET = 2000


@dataclass(frozen=True)
class Step:
    """One interview of a loop's plan: its kind and length (already lengthened for an accommodation)."""

    kind: str
    minutes: int


@dataclass
class Interviewer:
    """What the search needs to know of one member of the pool."""

    id: int
    kinds: frozenset[str]
    free: FreeTime
    zone: ZoneInfo
    max_per_day: int
    max_per_week: int
    # Interviews already booked, by local date and by ISO week (year, week) in their zone.
    per_day: dict[date, int] = field(default_factory=dict)
    per_week: dict[tuple[int, int], int] = field(default_factory=dict)

    def week_load(self, moment: datetime) -> int:
        return self.per_week.get(_week(moment, self.zone), 0)

    def can_take(self, start: datetime, end: datetime) -> bool:
        local_day = start.astimezone(self.zone).date()
        return (
            self.per_day.get(local_day, 0) < self.max_per_day
            and self.week_load(start) < self.max_per_week
            and self.free.fits(start, end)
        )


@dataclass(frozen=True)
class Placement:
    kind: str
    interviewer_id: int
    starts_at: datetime
    ends_at: datetime


def _week(moment: datetime, zone: ZoneInfo) -> tuple[int, int]:
    year, week, _ = moment.astimezone(zone).isocalendar()
    return year, week


def timetable(steps: Sequence[Step], start: datetime, break_minutes: int) -> list[tuple[datetime, datetime]]:
    """Start and end of each interview when the loop starts at `start`, with a break between two."""
    times, moment = [], start
    for step in steps:
        end = moment + timedelta(minutes=step.minutes)
        times.append((moment, end))
        moment = end + timedelta(minutes=break_minutes)
    return times


def assemble(
    steps: Sequence[Step], pool: Sequence[Interviewer], start: datetime, break_minutes: int = 15
) -> list[Placement] | None:
    """A complete loop starting at `start`, or None when none exists."""
    times = timetable(steps, start, break_minutes)
    by_kind = {
        step.kind: sorted(
            (person for person in pool if step.kind in person.kinds), key=lambda p: (p.week_load(start), p.id)
        )
        for step in steps
    }
    chosen: list[Placement] = []
    used: set[int] = set()
    budget = [SEARCH_BUDGET]

    def place(index: int) -> bool:
        if index == len(steps):
            return True
        budget[0] -= 1
        if budget[0] < 0:
            return False
        begins, ends = times[index]
        for person in by_kind[steps[index].kind]:
            if person.id in used or not person.can_take(begins, ends):
                continue
            used.add(person.id)
            chosen.append(Placement(steps[index].kind, person.id, begins, ends))
            if place(index + 1):
                return True
            chosen.pop()
            used.discard(person.id)
        return False

    return list(chosen) if place(0) else None


def loop_starts(
    steps: Sequence[Step], pool: Sequence[Interviewer], candidates: Iterable[datetime], break_minutes: int = 15
) -> list[datetime]:
    """The candidate start times at which a complete loop exists."""
    return [start for start in candidates if assemble(steps, pool, start, break_minutes) is not None]


def loop_length(steps: Sequence[Step], break_minutes: int) -> int:
    """Minutes from the first interview's start to the last one's end."""
    return sum(step.minutes for step in steps) + break_minutes * max(0, len(steps) - 1)
