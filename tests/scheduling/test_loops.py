"""On-site loop assembly: a complete loop or none, never an interviewer twice, never over a limit,
least-loaded first; checked against a brute-force search on small pools (Hypothesis)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.scheduling.loops import Interviewer, Step, assemble, loop_starts, timetable
from portal.scheduling.slots import FreeTime, Interval

UTC = timezone.utc
DAY = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # a Monday
KINDS = ("coding", "whiteboarding", "data_structures", "system_design", "hr_behavioural")
ROUND_ONE = [
    Step("coding", 60),
    Step("whiteboarding", 45),
    Step("data_structures", 45),
    Step("system_design", 60),
    Step("hr_behavioural", 45),
]


def person(pid, kinds, free_hours=((0, 10),), *, week_load=0, day_load=0, max_per_day=4, max_per_week=12):
    free = FreeTime(Interval(DAY + timedelta(hours=a), DAY + timedelta(hours=b)) for a, b in free_hours)
    zone = ZoneInfo("UTC")
    week = DAY.isocalendar()[:2]
    return Interviewer(
        id=pid,
        kinds=frozenset(kinds),
        free=free,
        zone=zone,
        max_per_day=max_per_day,
        max_per_week=max_per_week,
        per_day={DAY.date(): day_load} if day_load else {},
        per_week={week: week_load} if week_load else {},
    )


def test_round_one_takes_five_different_people_back_to_back_with_breaks():
    pool = [person(i, KINDS[:4]) for i in range(1, 5)] + [person(9, ["hr_behavioural"])]
    loop = assemble(ROUND_ONE, pool, DAY, break_minutes=15)
    assert loop is not None
    assert len({p.interviewer_id for p in loop}) == 5
    assert [p.kind for p in loop] == list(KINDS)
    for before, after in zip(loop, loop[1:]):
        assert after.starts_at - before.ends_at == timedelta(minutes=15)
    assert loop[-1].interviewer_id == 9


def test_no_loop_when_one_kind_has_nobody_free():
    pool = [person(i, KINDS[:4]) for i in range(1, 5)] + [person(9, ["hr_behavioural"], free_hours=((0, 1),))]
    assert assemble(ROUND_ONE, pool, DAY) is None


def test_an_engineer_is_never_used_twice_even_if_qualified_for_everything():
    pool = [person(i, KINDS[:4]) for i in range(1, 4)] + [person(9, ["hr_behavioural"])]
    assert assemble(ROUND_ONE, pool, DAY) is None  # three engineers for four technical interviews


def test_least_loaded_this_week_is_chosen_first():
    pool = [person(1, ["coding"], week_load=5), person(2, ["coding"], week_load=1), person(3, ["coding"], week_load=3)]
    loop = assemble([Step("coding", 60)], pool, DAY)
    assert loop[0].interviewer_id == 2


def test_daily_and_weekly_limits_are_respected():
    full_day = person(1, ["coding"], day_load=2, max_per_day=2)
    full_week = person(2, ["coding"], week_load=6, max_per_week=6)
    assert assemble([Step("coding", 60)], [full_day, full_week], DAY) is None
    assert assemble([Step("coding", 60)], [full_day, full_week, person(3, ["coding"])], DAY)[0].interviewer_id == 3


def test_backtracking_finds_the_loop_a_greedy_choice_misses():
    # The least-loaded coder is the only one who can do system design: a greedy first choice fails.
    steps = [Step("coding", 60), Step("system_design", 60)]
    pool = [person(1, ["coding", "system_design"], week_load=0), person(2, ["coding"], week_load=4)]
    loop = assemble(steps, pool, DAY)
    assert [(p.kind, p.interviewer_id) for p in loop] == [("coding", 2), ("system_design", 1)]


def test_loop_starts_are_only_the_times_a_whole_loop_fits():
    steps = [Step("coding", 60), Step("hr_behavioural", 45)]
    pool = [person(1, ["coding"], free_hours=((0, 3),)), person(2, ["hr_behavioural"], free_hours=((1, 3),))]
    starts = [DAY + timedelta(minutes=15 * i) for i in range(12)]
    found = loop_starts(steps, pool, starts, break_minutes=15)
    # Coding from 08:00 at the earliest; HR (75 minutes after the start) must end by 11:00.
    assert found == [DAY + timedelta(minutes=m) for m in (0, 15, 30, 45, 60)]


@st.composite
def pools(draw):
    size = draw(st.integers(1, 6))
    found = []
    for pid in range(1, size + 1):
        kinds = draw(st.sets(st.sampled_from(KINDS[:3]), min_size=1))
        start = draw(st.integers(0, 4))
        found.append(
            person(
                pid,
                kinds,
                free_hours=((start, start + draw(st.integers(1, 6))),),
                week_load=draw(st.integers(0, 4)),
                max_per_week=draw(st.integers(1, 6)),
            )
        )
    return found


@settings(max_examples=300, deadline=None)
@given(
    pool=pools(),
    kinds=st.lists(st.sampled_from(KINDS[:3]), min_size=1, max_size=3),
    offset=st.integers(0, 16),
)
def test_a_loop_is_found_exactly_when_one_exists_and_it_breaks_no_rule(pool, kinds, offset):
    steps = [Step(kind, 45) for kind in kinds]
    start = DAY + timedelta(minutes=15 * offset)
    loop = assemble(steps, pool, start, break_minutes=10)
    times = timetable(steps, start, 10)
    by_id = {p.id: p for p in pool}

    def valid(assignment) -> bool:
        return len(set(assignment)) == len(assignment) and all(
            step.kind in by_id[pid].kinds and by_id[pid].can_take(*times[i])
            for i, (step, pid) in enumerate(zip(steps, assignment))
        )

    exists = any(valid(a) for a in itertools.permutations(by_id, len(steps)))
    assert (loop is not None) == exists
    if loop is not None:
        assert valid([p.interviewer_id for p in loop])
        assert [(p.starts_at, p.ends_at) for p in loop] == times
