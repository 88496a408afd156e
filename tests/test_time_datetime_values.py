"""The `iso` filter writes the datetime attribute of <time>: valid HTML, one unambiguous instant."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from portal.templating import iso

# HTML's "valid global date and time string" in its normalised form: UTC, 'Z', at most three digits of a second.
GLOBAL_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z$")


def test_an_instant_with_microseconds_is_written_to_the_millisecond_in_utc():
    written = iso(datetime(2026, 7, 1, 14, 30, 15, 123456, tzinfo=ZoneInfo("Europe/Amsterdam")))
    assert GLOBAL_DATE_TIME.match(written), written
    assert written == "2026-07-01T12:30:15.123Z"


def test_an_instant_on_a_whole_second_has_no_fraction():
    assert iso(datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)) == "2026-12-01T09:00:00Z"


def test_a_time_without_a_zone_is_read_as_utc_as_everywhere_in_the_portal():
    assert iso(datetime(2026, 12, 1, 9, 0, 0, 999999)) == "2026-12-01T09:00:00.999Z"


def test_a_date_stays_a_date_and_nothing_stays_empty():
    assert iso(date(2027, 6, 1)) == "2027-06-01"
    assert iso(None) == ""
