"""On-site loop assembly over a whole booking horizon: a pool of interviewers with office hours in
their zones, some of their time already booked, and every start time a candidate could be offered.

    .venv/bin/python scripts/bench_loops.py               # 50 interviewers, 21 days
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal.scheduling import loops  # noqa: E402
from portal.scheduling.loops import Interviewer, Step  # noqa: E402
from portal.scheduling.slots import FreeTime, Interval, Window, availability, pad, start_times, subtract  # noqa: E402

ROUND_ONE = [
    Step("coding", 60),
    Step("whiteboarding", 45),
    Step("data_structures", 45),
    Step("system_design", 60),
    Step("hr_behavioural", 45),
]
TECHNICAL = ["coding", "whiteboarding", "data_structures", "system_design"]
ZONES = ["Europe/Amsterdam", "Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Kolkata"]


def build_pool(size: int, days: int, now: datetime, rng: random.Random) -> list[Interviewer]:
    first, last = now.date(), (now + timedelta(days=days + 1)).date()
    pool = []
    for person in range(size):
        zone = ZoneInfo(ZONES[person % len(ZONES)])
        hr = person % 10 == 0  # one in ten runs the HR interview
        kinds = {"hr_behavioural"} if hr else set(rng.sample(TECHNICAL, rng.randint(2, 4)))
        windows = [Window(9 * 60, 17 * 60, weekday=d) for d in range(5)]
        free = availability(windows, zone, first, last)
        # A third of their time is booked already, in one-hour blocks.
        busy = [
            Interval(i.start + timedelta(hours=h), i.start + timedelta(hours=h + 1))
            for i in free
            for h in range(8)
            if rng.random() < 0.33
        ]
        per_day: dict[date, int] = {}
        for b in busy:
            per_day[b.start.astimezone(zone).date()] = per_day.get(b.start.astimezone(zone).date(), 0) + 1
        per_week: dict[tuple[int, int], int] = {}
        for b in busy:
            week = b.start.astimezone(zone).isocalendar()[:2]
            per_week[week] = per_week.get(week, 0) + 1
        pool.append(
            Interviewer(
                id=person + 1,
                kinds=frozenset(kinds),
                free=FreeTime(subtract(free, pad(busy, 10))),
                zone=zone,
                max_per_day=5,
                max_per_week=20,
                per_day=per_day,
                per_week=per_week,
            )
        )
    return pool


def horizon_starts(pool, now: datetime, days: int) -> list[datetime]:
    first = [p for p in pool if ROUND_ONE[0].kind in p.kinds]
    earliest, latest = now + timedelta(hours=24), now + timedelta(days=days)
    return sorted(
        {
            s
            for p in first
            for s in start_times(p.free.intervals, ROUND_ONE[0].minutes, earliest=earliest, latest=latest)
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pool", type=int, default=50)
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    now = datetime(2027, 3, 15, 7, 0, tzinfo=timezone.utc)  # the horizon spans the US and EU clock changes
    times, found, candidates = [], 0, 0
    for run in range(args.runs):
        pool = build_pool(args.pool, args.days, now, random.Random(run))
        started = time.perf_counter()
        starts = horizon_starts(pool, now, args.days)
        offered = loops.loop_starts(ROUND_ONE, pool, starts, break_minutes=15)
        times.append(time.perf_counter() - started)
        found, candidates = len(offered), len(starts)
    print(
        f"Loop assembly (round 1: five interviews, four engineers and HR, 15-minute breaks), pool of {args.pool} "
        f"interviewers in {len(ZONES)} zones, {args.days}-day horizon, a third of their time booked:"
    )
    print(
        f"  {candidates} candidate start times tried, {found} with a complete loop; "
        f"median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms over {args.runs} runs "
        "(target: under 50 ms)"
    )


if __name__ == "__main__":
    main()
