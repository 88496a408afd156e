"""The calendar section of the availability page as an interviewer uses it: connect a feed or a CalDAV
account, see when it was last read (in their zone) and why it failed, refresh it now, disconnect it; bad
input answers next to the field, keeps what was typed (never the password) and changes nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.scheduling.models import BusyTime, SchedulingProfile
from portal.timeutil import utcnow
from tests.helpers import field_error, login
from tests.scheduling.test_calendars import calendar_of, event

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PAGE = "/staff/availability"
CONNECT, REFRESH, DISCONNECT = f"{PAGE}/calendar", f"{PAGE}/calendar/refresh", f"{PAGE}/calendar/disconnect"


@pytest.fixture
def interviewer(factory, client):
    person = factory.staff("interviewer", email="ivan@staff.example", name="Ivan Interviewer")
    person.timezone = "Europe/Amsterdam"
    db.session.commit()
    login(client, person)
    return person


def _tomorrow_at(hour: int) -> datetime:
    day = (utcnow() + timedelta(days=2)).date()
    return datetime.combine(day, time(hour, 0), tzinfo=timezone.utc)


def _feed() -> bytes:
    return calendar_of(event("standup", _tomorrow_at(9), _tomorrow_at(10)))


def _profile(user):
    db.session.expire_all()
    return db.session.get(SchedulingProfile, user.id)


def _busy(user):
    return [(b.starts_at, b.ends_at) for b in db.session.scalars(select(BusyTime).where(BusyTime.user_id == user.id))]


def test_connecting_a_feed_reads_it_and_the_page_shows_when_in_the_viewers_zone(interviewer, client, feed_server):
    feed_server.routes["/me.ics"] = (200, _feed(), {"Content-Type": "text/calendar"})
    page = client.get(PAGE).get_data(as_text=True)
    assert "Connect a calendar" in page and "Refresh now" not in page

    response = client.post(CONNECT, data={"calendar_kind": "ics", "calendar_url": feed_server.url("/me.ics")})

    assert response.status_code == 302 and response.headers["Location"].endswith("#calendar-heading")
    assert _busy(interviewer) == [(_tomorrow_at(9), _tomorrow_at(10))]
    read_at = _profile(interviewer).calendar_refreshed_at
    page = client.get(PAGE).get_data(as_text=True)
    assert "Your calendar is connected" in page
    assert f"{read_at.astimezone(AMSTERDAM):%a %d %b %Y, %H:%M} (Europe/Amsterdam)" in page
    assert "Refresh now" in page and "Disconnect" in page and "Change your calendar" in page


def test_refresh_now_reads_again_and_a_failure_is_shown_with_the_busy_times_kept(interviewer, client, feed_server):
    feed_server.routes["/me.ics"] = (200, _feed(), {})
    client.post(CONNECT, data={"calendar_kind": "ics", "calendar_url": feed_server.url("/me.ics")})
    feed_server.routes["/me.ics"] = (404, b"", {})

    response = client.post(REFRESH)

    assert response.status_code == 302
    page = client.get(PAGE).get_data(as_text=True)
    assert "Your calendar could not be read: No calendar was found at that address (404)." in page
    assert "The last reading failed: No calendar was found" in page
    assert _busy(interviewer) == [(_tomorrow_at(9), _tomorrow_at(10))]
    feed_server.routes["/me.ics"] = (200, calendar_of(), {})
    client.post(REFRESH)
    assert _busy(interviewer) == [] and _profile(interviewer).calendar_error == ""
    assert "Your calendar was read just now." in client.get(PAGE).get_data(as_text=True)


def test_disconnecting_forgets_the_calendar_and_its_busy_times(interviewer, client, feed_server):
    feed_server.routes["/me.ics"] = (200, _feed(), {})
    client.post(CONNECT, data={"calendar_kind": "ics", "calendar_url": feed_server.url("/me.ics")})
    assert _busy(interviewer)
    assert client.post(DISCONNECT).status_code == 302
    assert _busy(interviewer) == [] and _profile(interviewer).calendar_url is None
    page = client.get(PAGE).get_data(as_text=True)
    assert "Your calendar is disconnected" in page and "Connect a calendar" in page
    # Refreshing with nothing connected says so.
    client.post(REFRESH)
    assert "No calendar is connected." in client.get(PAGE).get_data(as_text=True)


def test_a_caldav_password_is_saved_but_never_shown_again(interviewer, client, radicale):
    radicale.new_calendar("page")
    response = client.post(
        CONNECT,
        data={
            "calendar_kind": "caldav",
            "calendar_url": radicale.url,
            "calendar_username": radicale.username,
            "calendar_password": radicale.password,
        },
    )
    assert response.status_code == 302
    saved = _profile(interviewer)
    assert saved.calendar_error == "" and saved.calendar_refreshed_at is not None
    page = client.get(PAGE).get_data(as_text=True)
    assert radicale.password not in page and saved.calendar_secret not in page
    assert "A password is saved (encrypted)" in page
    # Saving again without a password keeps the one saved.
    client.post(
        CONNECT,
        data={"calendar_kind": "caldav", "calendar_url": radicale.url, "calendar_username": radicale.username},
    )
    assert _profile(interviewer).calendar_secret == saved.calendar_secret


@pytest.mark.parametrize(
    "form, field, message",
    [
        ({"calendar_kind": "ics", "calendar_url": "ftp://calendar.example/me.ics"}, "calendar_url", "https://"),
        ({"calendar_kind": "ics", "calendar_url": ""}, "calendar_url", "Give the address"),
        ({"calendar_kind": "ics", "calendar_url": "https://c.example/" + "x" * 600}, "calendar_url", "too long"),
        ({"calendar_kind": "exchange", "calendar_url": "https://c.example/"}, "calendar_kind", "Choose an ICS feed"),
        (
            {
                "calendar_kind": "caldav",
                "calendar_url": "http://127.0.0.1:9/dav/",
                "calendar_password": "hunter2-secret",
            },
            "calendar_username",
            "user name",
        ),
        (
            {"calendar_kind": "caldav", "calendar_url": "http://127.0.0.1:9/dav/", "calendar_username": "ivan"},
            "calendar_password",
            "password",
        ),
        (
            {
                "calendar_kind": "caldav",
                "calendar_url": "http://127.0.0.1:9/dav/",
                "calendar_username": "ivan",
                "calendar_password": "p" * 201,
            },
            "calendar_password",
            "too long",
        ),
    ],
    ids=["ftp", "empty", "too-long", "unknown-kind", "no-username", "no-password", "password-too-long"],
)
def test_bad_input_answers_next_to_the_field_keeps_the_input_and_changes_nothing(
    interviewer, client, form, field, message
):
    response = client.post(CONNECT, data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in field_error(page, field)
    assert f'id="{field}' in page and 'aria-invalid="true"' in page
    url = form["calendar_url"]
    if url and len(url) <= 500:
        assert f'value="{url}"' in page
    assert "hunter2-secret" not in page
    saved = _profile(interviewer)
    assert saved is None or saved.calendar_kind is None
    assert _busy(interviewer) == []


def test_an_expired_form_changes_nothing(interviewer, client, feed_server):
    response = client.post(CONNECT, data={"calendar_kind": "ics", "calendar_url": "https://c.example/"}, csrf=False)
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    assert _profile(interviewer) is None or _profile(interviewer).calendar_kind is None
