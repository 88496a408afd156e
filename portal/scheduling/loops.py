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
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from portal.scheduling.slots import FreeTime, Interval

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

    def within_limits(self, start: datetime) -> bool:
        local_day = start.astimezone(self.zone).date()
        return self.per_day.get(local_day, 0) < self.max_per_day and self.week_load(start) < self.max_per_week

    def can_take(self, start: datetime, end: datetime) -> bool:
        return self.within_limits(start) and self.free.fits(start, end)


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
    return _Search(steps, pool, break_minutes).assemble(start)


def loop_starts(
    steps: Sequence[Step], pool: Sequence[Interviewer], candidates: Iterable[datetime], break_minutes: int = 15
) -> list[datetime]:
    """The candidate start times at which a complete loop exists."""
    search = _Search(steps, pool, break_minutes)
    return [start for start in candidates if search.assemble(start) is not None]


class _Search:
    """One loop plan over one pool, asked about many start times.

    Each interview of the plan sits at a fixed offset from the start, so for every interviewer who
    may run it, the starts at which they are free for it are their free intervals shifted by that
    offset. A start where some interview has nobody free is refused at once (most refusals); the
    others are searched, least-loaded interviewers first, backtracking within a budget.
    """

    def __init__(self, steps: Sequence[Step], pool: Sequence[Interviewer], break_minutes: int):
        self.steps = list(steps)
        anchor = datetime(2000, 1, 3, tzinfo=timezone.utc)
        self.offsets = [(b - anchor, e - anchor) for b, e in timetable(self.steps, anchor, break_minutes)]
        self.people: list[list[tuple[Interviewer, FreeTime]]] = []
        self.anyone: list[FreeTime] = []
        for step, (begins, ends) in zip(self.steps, self.offsets):
            able = []
            for person in pool:
                if step.kind not in person.kinds:
                    continue
                starts = [
                    Interval(i.start - begins, i.end - ends)
                    for i in person.free.intervals
                    if i.end - ends >= i.start - begins
                ]
                able.append((person, FreeTime(starts, closed=True)))
            self.people.append(able)
            self.anyone.append(FreeTime((i for _, f in able for i in f.intervals), closed=True))
        self._order: dict[tuple, list[list[tuple[Interviewer, FreeTime]]]] = {}

    def _ordered(self, start: datetime) -> list[list[tuple[Interviewer, FreeTime]]]:
        # Least loaded in the week of the start first (then by id): one order per week, not per start.
        week = start.isocalendar()[:2]
        if week not in self._order:
            self._order[week] = [
                sorted(able, key=lambda pf: (pf[0].week_load(start), pf[0].id)) for able in self.people
            ]
        return self._order[week]

    def assemble(self, start: datetime) -> list[Placement] | None:
        if not self.steps or not all(free.has(start) for free in self.anyone):
            return None
        times = [(start + b, start + e) for b, e in self.offsets]
        # People are tried in order and checked only when reached (the first few usually fit).
        ordered = self._ordered(start)
        chosen: list[Placement] = []
        used: set[int] = set()
        budget = [SEARCH_BUDGET]

        def place(index: int) -> bool:
            if index == len(self.steps):
                return True
            budget[0] -= 1
            if budget[0] < 0:
                return False
            begins, ends = times[index]
            for person, free in ordered[index]:
                if person.id in used or not free.has(start) or not person.within_limits(begins):
                    continue
                used.add(person.id)
                chosen.append(Placement(self.steps[index].kind, person.id, begins, ends))
                if place(index + 1):
                    return True
                chosen.pop()
                used.discard(person.id)
            return False

        return list(chosen) if place(0) else None


def loop_length(steps: Sequence[Step], break_minutes: int) -> int:
    """Minutes from the first interview's start to the last one's end."""
    return sum(step.minutes for step in steps) + break_minutes * max(0, len(steps) - 1)
