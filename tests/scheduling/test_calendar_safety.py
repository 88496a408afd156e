"""Calendar addresses come from staff, and the portal fetches them: with CALENDAR_ALLOW_PRIVATE_HOSTS off
(production's default) an address on the portal's own network is refused before any connection is
opened, for the address given, a name that resolves there, and every redirect."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.scheduling import calendars, own_calendar
from portal.scheduling.models import BusyTime, SchedulingProfile
from tests.scheduling.test_calendars import los_angeles_feed

NOW = datetime(2027, 3, 8, 6, 0, tzinfo=timezone.utc)


@pytest.fixture
def closed(app):
    app.config["CALENDAR_ALLOW_PRIVATE_HOSTS"] = False
    return app


@pytest.fixture
def interviewer(factory):
    return factory.staff("interviewer", email="ivan@staff.example", name="Ivan Interviewer")


def _stored(user):
    db.session.expire_all()
    return db.session.get(SchedulingProfile, user.id)


@pytest.mark.parametrize(
    "address",
    [
        "http://127.0.0.1:{port}/la.ics",
        "http://localhost:{port}/la.ics",
        "http://[::1]:{port}/la.ics",
        "http://2130706433:{port}/la.ics",  # 127.0.0.1 written as one number
        "http://[::ffff:127.0.0.1]:{port}/la.ics",
        "http://0.0.0.0:{port}/la.ics",
        "http://10.20.30.40/calendar.ics",
        "http://192.168.1.1/calendar.ics",
        "https://172.16.0.1/calendar.ics",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/calendar.ics",
        "http://224.0.0.1/calendar.ics",
    ],
)
def test_an_address_on_the_portals_own_network_is_refused_before_connecting(closed, interviewer, feed_server, address):
    feed_server.routes["/la.ics"] = (200, los_angeles_feed(), {})
    with pytest.raises(own_calendar.CalendarInvalid) as refused:
        own_calendar.connect(interviewer, interviewer, kind="ics", url=address.format(port=feed_server.port))
    assert refused.value.field == "calendar_url"
    assert "private or reserved network" in refused.value.message
    assert feed_server.requests == []
    saved = _stored(interviewer)
    assert saved is None or saved.calendar_url is None


@pytest.mark.parametrize(
    "address, message",
    [
        ("ftp://calendar.example/feed.ics", "must start with https://"),
        ("file:///etc/passwd", "must start with https://"),
        ("javascript:alert(1)", "must start with https://"),
        ("", "Give the address"),
        ("https://" + "a" * 500 + ".example/", "too long"),
        ("https://user:pw@calendar.example/", "their own fields"),
        ("https:///no-host", "no host"),
    ],
)
def test_an_address_that_is_not_a_web_address_is_refused(closed, interviewer, address, message):
    with pytest.raises(own_calendar.CalendarInvalid) as refused:
        own_calendar.connect(interviewer, interviewer, kind="ics", url=address)
    assert message in refused.value.message


def test_a_calendar_saved_while_private_hosts_were_allowed_is_not_read_once_they_are_not(app, team, feed_server):
    feed_server.routes["/la.ics"] = (200, los_angeles_feed(), {})
    recruiter = team.recruiter
    own_calendar.connect(recruiter, recruiter, kind="ics", url=feed_server.url("/la.ics"))
    app.config["CALENDAR_ALLOW_PRIVATE_HOSTS"] = False
    outcome = own_calendar.refresh(recruiter, now=NOW)
    assert not outcome.ok and "private or reserved network" in outcome.error
    assert feed_server.requests == []
    assert _stored(recruiter).calendar_error == outcome.error


@pytest.fixture
def loopback_allowed(closed, monkeypatch):
    """The test's own server is on 127.0.0.1: let loopback through, keep refusing every other internal
    address, so that what a redirect points at is what is judged."""
    judged = calendars._internal
    monkeypatch.setattr(calendars, "_internal", lambda address: not address.is_loopback and judged(address))
    return closed


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/feed.ics"])
def test_a_feed_that_redirects_to_the_portals_own_network_is_not_followed(loopback_allowed, team, feed_server, target):
    feed_server.routes["/la.ics"] = (302, b"", {"Location": target})
    recruiter = team.recruiter
    own_calendar.connect(recruiter, recruiter, kind="ics", url=feed_server.url("/la.ics"))
    outcome = own_calendar.refresh(recruiter, now=NOW)
    assert not outcome.ok and "private or reserved network" in outcome.error
    assert feed_server.requests == ["/la.ics"]
    assert db.session.scalars(select(BusyTime)).all() == []


def test_a_caldav_server_that_redirects_to_the_portals_own_network_is_not_followed(loopback_allowed, team, feed_server):
    feed_server.routes["/dav/"] = (301, b"", {"Location": "http://169.254.169.254/dav/"})
    recruiter = team.recruiter
    own_calendar.connect(
        recruiter, recruiter, kind="caldav", url=feed_server.url("/dav/"), username="ines", password="secret"
    )
    outcome = own_calendar.refresh(recruiter, now=NOW)
    assert not outcome.ok and "private or reserved network" in outcome.error
    assert set(feed_server.requests) == {"/dav/"}


@pytest.mark.parametrize("kind", ["ics", "caldav"])
def test_a_name_that_resolves_elsewhere_by_the_time_of_connecting_is_refused_before_a_byte_is_sent(
    closed, interviewer, feed_server, monkeypatch, kind
):
    # DNS rebinding: the name is public when checked, and on loopback when the connection is made.
    monkeypatch.setattr(calendars, "_resolve", lambda host, port: ["93.184.216.34"])
    feed_server.routes["/la.ics"] = (200, los_angeles_feed(), {"Content-Type": "text/calendar"})
    url = feed_server.url("/la.ics")
    limits = calendars.Limits(allow_private_hosts=False, max_bytes=1024 * 1024)
    with pytest.raises(calendars.CalendarError, match="private or reserved network"):
        if kind == "ics":
            calendars.fetch_ics(url, limits)
        else:
            calendars.caldav_busy(url, "ivan", "secret", NOW, NOW, ZoneInfo("UTC"), limits)
    assert feed_server.requests == []
