"""Free time from availability windows: wall-clock windows across daylight-saving switches, and the
interval arithmetic that slot search stands on (properties checked with Hypothesis)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.scheduling.slots import (
    FreeTime,
    Interval,
    Window,
    availability,
    local_instant,
    merge,
    start_times,
    subtract,
)

UTC = timezone.utc
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
BASE = datetime(2026, 3, 1, tzinfo=UTC)


def test_a_weekly_window_stays_at_the_same_local_time_across_the_spring_and_autumn_switches():
    nine_to_five = Window(9 * 60, 17 * 60, weekday=None, on_date=None)
    for zone, first, last in (
        (AMSTERDAM, date(2026, 3, 23), date(2026, 4, 3)),  # switch on Sunday 29 March
        (AMSTERDAM, date(2026, 10, 19), date(2026, 10, 30)),  # switch on Sunday 25 October
        (LOS_ANGELES, date(2026, 3, 2), date(2026, 3, 13)),  # switch on Sunday 8 March
        (LOS_ANGELES, date(2026, 10, 26), date(2026, 11, 6)),  # switch on Sunday 1 November
    ):
        weekdays = [Window(9 * 60, 17 * 60, weekday=d) for d in range(5)]
        found = availability(weekdays, zone, first, last)
        assert len(found) == 10, (zone, first)
        for interval in found:
            local_start, local_end = interval.start.astimezone(zone), interval.end.astimezone(zone)
            assert (local_start.hour, local_start.minute) == (9, 0)
            assert (local_end.hour, local_end.minute) == (17, 0)
            assert interval.minutes == 8 * 60
        offsets = {i.start.astimezone(zone).utcoffset() for i in found}
        assert len(offsets) == 2, "the fortnight spans a switch: the UTC times must move by an hour"
    assert nine_to_five.applies_to(date(2026, 3, 2)) is False  # neither weekly nor dated: never


def test_a_time_the_clock_skips_stands_for_the_moment_it_resumes():
    # 29 March 2026 in Amsterdam: 02:00 becomes 03:00.
    assert local_instant(date(2026, 3, 29), 2 * 60 + 30, AMSTERDAM) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    window = availability(
        [Window(2 * 60, 4 * 60, on_date=date(2026, 3, 29))], AMSTERDAM, date(2026, 3, 29), date(2026, 3, 29)
    )
    assert window == [Interval(datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 3, 29, 2, 0, tzinfo=UTC))]


def test_a_repeated_hour_in_autumn_is_read_the_first_time_it_happens():
    # 25 October 2026 in Amsterdam: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice.
    assert local_instant(date(2026, 10, 25), 2 * 60 + 30, AMSTERDAM) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_blocked_days_and_dated_windows():
    windows = [Window(9 * 60, 12 * 60, weekday=0), Window(14 * 60, 15 * 60, on_date=date(2026, 3, 4))]
    found = availability(windows, ZoneInfo("UTC"), date(2026, 3, 2), date(2026, 3, 10), blocked=[date(2026, 3, 9)])
    assert [(i.start.day, i.start.hour, i.end.hour) for i in found] == [(2, 9, 12), (4, 14, 15)]


# --- properties of the interval arithmetic ---------------------------------------------------------

minutes = st.integers(min_value=0, max_value=3 * 24 * 60)


@st.composite
def intervals(draw, max_size=8):
    found = []
    for start, length in draw(st.lists(st.tuples(minutes, st.integers(1, 600)), max_size=max_size)):
        found.append(Interval(BASE + timedelta(minutes=start), BASE + timedelta(minutes=start + length)))
    return found


def _covered(intervals_: list[Interval], moment: datetime) -> bool:
    return any(i.start <= moment < i.end for i in intervals_)


@settings(max_examples=200, deadline=None)
@given(free=intervals(), busy=intervals(), probes=st.lists(minutes, min_size=1, max_size=40))
def test_free_time_minus_busy_time_is_exactly_what_is_free_and_not_busy(free, busy, probes):
    remaining = subtract(free, busy)
    assert remaining == merge(remaining), "sorted, disjoint, not touching"
    for probe in probes:
        moment = BASE + timedelta(minutes=probe, seconds=30)
        assert _covered(remaining, moment) == (_covered(free, moment) and not _covered(busy, moment))


@settings(max_examples=200, deadline=None)
@given(free=intervals(), length=st.integers(10, 240), delay=minutes, span=minutes)
def test_every_start_offered_fits_whole_in_free_time_on_the_quarter_hour(free, length, delay, span):
    earliest = BASE + timedelta(minutes=delay, seconds=17)
    latest = earliest + timedelta(minutes=span)
    merged = merge(free)
    fast = FreeTime(merged)
    starts = start_times(merged, length, earliest=earliest, latest=latest)
    assert starts == sorted(set(starts))
    for start in starts:
        assert earliest <= start <= latest
        assert start.minute % 15 == 0 and start.second == 0
        assert fast.fits(start, start + timedelta(minutes=length))
    # And none is missing: every quarter hour that fits is offered.
    moment = BASE
    while moment <= latest:
        if moment >= earliest and fast.fits(moment, moment + timedelta(minutes=length)):
            assert moment in starts
        moment += timedelta(minutes=15)
