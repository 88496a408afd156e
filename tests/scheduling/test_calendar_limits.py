"""A staff member's calendar cannot tie up the portal: a rule repeating every second, a rule stepping
from long ago, too many events, a server dripping its feed, a connect form sent over and over. Each is
refused quickly with a message for the calendar's owner, and the busy times read before stay."""

from __future__ import annotations

import http.server
import threading
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from portal.scheduling import calendars
from tests.helpers import Factory, login

START = datetime(2027, 3, 8, 0, 0, tzinfo=timezone.utc)
END = START + timedelta(days=21)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _feed(rule: str, first: str, *, count: int = 1) -> bytes:
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:e{n}\r\nDTSTAMP:20270301T000000Z\r\nDTSTART:{first}\r\n"
        f"DURATION:PT1S\r\n{'RRULE:' + rule + chr(13) + chr(10) if rule else ''}END:VEVENT\r\n"
        for n in range(count)
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{events}END:VCALENDAR\r\n".encode()


def _busy(data: bytes):
    return calendars.busy_intervals([calendars.parse_calendar(data)], START, END, AMSTERDAM)


@pytest.mark.parametrize(
    ("rule", "first", "message"),
    [
        ("FREQ=SECONDLY", "20270301T000000Z", "repeats too often"),
        ("FREQ=SECONDLY", "20270307T230000Z", "more than 5,000 events"),
        ("FREQ=MINUTELY", "20270301T000000Z", "more than 5,000 events"),
        ("FREQ=HOURLY;BYMINUTE=0,15,30,45", "19900101T000000Z", "repeats too often"),
        ("FREQ=DAILY", "00010101T090000Z", "repeats too often"),
        ("FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23", "20270301T000000Z", ""),
    ],
)
def test_a_rule_that_repeats_too_often_is_refused_within_seconds(rule, first, message):
    began = time.monotonic()
    if message:
        with pytest.raises(calendars.CalendarError, match=message):
            _busy(_feed(rule, first))
    else:
        assert _busy(_feed(rule, first))  # 24 a day for three weeks: a few hundred, read
    assert time.monotonic() - began < 10


def test_ordinary_rules_since_long_ago_are_read():
    daily_since_1990 = _busy(_feed("FREQ=DAILY", "19900101T090000Z"))
    assert len(daily_since_1990) == 21
    yearly_since_year_one = _busy(_feed("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=10", "00010310T120000Z"))
    assert len(yearly_since_year_one) == 1


def test_more_events_than_a_person_keeps_are_refused():
    many = _feed("", "20270309T100000Z", count=calendars.MAX_EVENTS + 1)
    with pytest.raises(calendars.CalendarError, match="more than 5,000 events"):
        _busy(many)


@pytest.fixture
def dripping_server():
    """A feed server that sends a byte every tenth of a second, never finishing."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for _ in range(600):
                    self.wfile.write(b"1\r\nB\r\n")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.protocol_version = "HTTP/1.1"
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/drip.ics"
    server.shutdown()
    server.server_close()


def test_a_feed_dripping_slowly_is_cut_off_at_the_read_deadline(dripping_server, monkeypatch):
    monkeypatch.setattr(calendars, "READ_DEADLINE", 1)
    began = time.monotonic()
    with pytest.raises(calendars.CalendarError, match="took too long"):
        calendars.fetch_ics(dripping_server, calendars.Limits(allow_private_hosts=True, max_bytes=10 * 1024 * 1024))
    assert time.monotonic() - began < 5


def test_connecting_a_calendar_over_and_over_is_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, CALENDAR_ALLOW_PRIVATE_HOSTS=False)
    with app.app_context():
        person = Factory().staff("interviewer", email="ivan@staff.example")
        client = app.test_client()
        login(client, person)
        statuses = [
            client.post(
                "/staff/availability/calendar", data={"calendar_kind": "ics", "calendar_url": "http://127.0.0.1/x.ics"}
            ).status_code
            for _ in range(12)
        ]
    assert statuses[:10] == [400] * 10 and statuses[-1] == 429


def test_a_new_address_that_cannot_be_read_says_nothing_from_it_blocks_slots(app, factory, client, feed_server):
    person = factory.staff("interviewer", email="ivan@staff.example")
    login(client, person)
    feed_server.routes["/ok.ics"] = (200, _feed("", "20270309T100000Z"), {"Content-Type": "text/calendar"})
    client.post(
        "/staff/availability/calendar", data={"calendar_kind": "ics", "calendar_url": feed_server.url("/ok.ics")}
    )
    page = client.post(
        "/staff/availability/calendar",
        data={"calendar_kind": "ics", "calendar_url": feed_server.url("/gone.ics")},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "could not be read" in page
    assert "Until it is read, nothing from this calendar blocks interview slots." in page
    assert "The busy times read before still count" not in page


@pytest.mark.parametrize("chunked", [False, True])
def test_a_caldav_answer_larger_than_the_cap_is_refused(feed_server, chunked):
    huge = b"<?xml version='1.0'?><multistatus xmlns='DAV:'>" + b" " * (2 * 1024 * 1024) + b"</multistatus>"
    headers = {"Content-Type": "application/xml", "chunked": True} if chunked else {"Content-Type": "application/xml"}
    feed_server.routes["/dav/"] = (207, huge, headers)
    limits = calendars.Limits(allow_private_hosts=True, max_bytes=1024 * 1024)
    with pytest.raises(calendars.CalendarError, match="larger than 1 MB"):
        calendars.caldav_busy(feed_server.url("/dav/"), "ivan", "secret", START, END, AMSTERDAM, limits)
