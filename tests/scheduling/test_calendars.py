"""Staff members' own calendars: a CalDAV account on a real Radicale and an ICS feed from a loopback
HTTP server, read into busy times (rules expanded, zones honoured, free and cancelled events left out)
that the booking offer then leaves out; failures keep what was read before and say why."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.scheduling import own_calendar
from portal.scheduling import services as scheduling
from portal.scheduling.models import BusyTime, SchedulingProfile
from tests.scheduling.conftest import AMSTERDAM

UTC = timezone.utc
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
# A Monday a week before Europe's clocks go forward (Sunday 28 March 2027).
NOW_EU = datetime(2027, 3, 15, 6, 0, tzinfo=UTC)
# A Monday a week before the United States' clocks go forward (Sunday 14 March 2027).
NOW_US = datetime(2027, 3, 8, 6, 0, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: ZoneInfo, *args) -> datetime:
    return datetime(*args, tzinfo=zone)


def event(uid: str, start, end, **properties) -> icalendar.Event:
    found = icalendar.Event()
    found.add("uid", uid)
    found.add("dtstamp", utc(2027, 3, 1, 0, 0))
    found.add("dtstart", start)
    if end is not None:
        found.add("dtend", end)
    found.add("summary", properties.pop("summary", uid))
    for name, value in properties.items():
        found.add(name.replace("_", "-"), value)
    return found


def calendar_of(*components) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Candor tests//EN")
    calendar.add("version", "2.0")
    for component in components:
        calendar.add_component(component)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def stored_busy(user) -> list[tuple[datetime, datetime]]:
    return [
        (b.starts_at, b.ends_at)
        for b in db.session.scalars(select(BusyTime).where(BusyTime.user_id == user.id).order_by(BusyTime.starts_at))
    ]


def profile(user) -> SchedulingProfile:
    db.session.expire_all()
    return db.session.get(SchedulingProfile, user.id)


def screening(factory, team):
    return factory.application(factory.candidate(), team.position, advances=1, actor=team.recruiter)


def overlapping(starts, minutes: int, busy) -> list[datetime]:
    return [s for s in starts if any(b0 < s + timedelta(minutes=minutes) and s < b1 for b0, b1 in busy)]


# --- the slot search subtracts busy times ----------------------------------------------------------


def test_a_busy_time_blocks_the_starts_that_overlap_it_and_no_others(team, factory):
    application = screening(factory, team)
    before = scheduling.offer(application, now=NOW_EU).starts
    ten, eleven = local(AMSTERDAM, 2027, 3, 17, 10, 0), local(AMSTERDAM, 2027, 3, 17, 11, 0)
    assert ten in before and local(AMSTERDAM, 2027, 3, 17, 9, 30) in before
    db.session.add(BusyTime(user_id=team.recruiter.id, starts_at=ten.astimezone(UTC), ends_at=eleven.astimezone(UTC)))
    db.session.commit()
    after = scheduling.offer(application, now=NOW_EU).starts
    # A 30-minute screen may end when the busy time starts and start when it ends, not in between.
    gone = set(before) - set(after)
    assert gone == {local(AMSTERDAM, 2027, 3, 17, h, m) for h, m in ((9, 45), (10, 0), (10, 15), (10, 30), (10, 45))}
    assert local(AMSTERDAM, 2027, 3, 17, 9, 30) in after and eleven in after


# --- CalDAV ----------------------------------------------------------------------------------------


def amsterdam_week(radicale):
    """Ines's calendar in Radicale: a weekly meeting across Europe's clock change with one week left out
    and one moved, a day off, a free-marked reminder and a cancelled meeting."""
    weekly = event(
        "weekly-sync",
        local(AMSTERDAM, 2027, 3, 17, 10, 0),
        local(AMSTERDAM, 2027, 3, 17, 11, 0),
        rrule={"FREQ": "WEEKLY", "COUNT": 5},
        exdate=local(AMSTERDAM, 2027, 3, 24, 10, 0),
    )
    moved = event(
        "weekly-sync",
        local(AMSTERDAM, 2027, 3, 31, 14, 0),
        local(AMSTERDAM, 2027, 3, 31, 15, 0),
        recurrence_id=local(AMSTERDAM, 2027, 3, 31, 10, 0),
        summary="weekly sync, moved",
    )
    calendar = radicale.new_calendar("work")
    calendar.add_event(calendar_of(weekly, moved).decode())
    calendar.add_event(calendar_of(event("day-off", date(2027, 3, 19), date(2027, 3, 20))).decode())
    calendar.add_event(
        calendar_of(
            event(
                "reminder",
                local(AMSTERDAM, 2027, 3, 22, 10, 0),
                local(AMSTERDAM, 2027, 3, 22, 12, 0),
                transp="TRANSPARENT",
            )
        ).decode()
    )
    calendar.add_event(
        calendar_of(
            event(
                "called-off",
                local(AMSTERDAM, 2027, 3, 23, 10, 0),
                local(AMSTERDAM, 2027, 3, 23, 12, 0),
                status="CANCELLED",
            )
        ).decode()
    )
    # A second calendar of the same account counts too.
    other = radicale.new_calendar("private")
    other.add_event(calendar_of(event("dentist", utc(2027, 3, 18, 13, 0), utc(2027, 3, 18, 14, 30))).decode())
    return calendar


EXPECTED_AMSTERDAM = [
    (utc(2027, 3, 17, 9, 0), utc(2027, 3, 17, 10, 0)),  # 10:00 CET
    (utc(2027, 3, 18, 13, 0), utc(2027, 3, 18, 14, 30)),  # the other calendar, in UTC
    (utc(2027, 3, 18, 23, 0), utc(2027, 3, 19, 23, 0)),  # Friday 19 March, the whole day in Amsterdam
    # 24 March left out; 31 March moved to 14:00 CEST
    (utc(2027, 3, 31, 12, 0), utc(2027, 3, 31, 13, 0)),
    (utc(2027, 4, 7, 8, 0), utc(2027, 4, 7, 9, 0)),  # 10:00 CEST
    (utc(2027, 4, 14, 8, 0), utc(2027, 4, 14, 9, 0)),
]


def test_a_caldav_account_blocks_its_busy_times_in_utc_across_the_clock_change(team, factory, radicale):
    amsterdam_week(radicale)
    recruiter = team.recruiter
    own_calendar.connect(
        recruiter, recruiter, kind="caldav", url=radicale.url, username=radicale.username, password=radicale.password
    )
    application = screening(factory, team)
    before = scheduling.offer(application, now=NOW_EU).starts

    outcome = own_calendar.refresh(recruiter, actor=recruiter, now=NOW_EU)

    assert outcome.ok, outcome.error
    assert stored_busy(recruiter) == EXPECTED_AMSTERDAM
    saved = profile(recruiter)
    assert saved.calendar_refreshed_at == NOW_EU and saved.calendar_error == ""
    after = scheduling.offer(application, now=NOW_EU).starts
    assert after and overlapping(after, 30, EXPECTED_AMSTERDAM) == []
    assert overlapping(before, 30, EXPECTED_AMSTERDAM), "the busy times fell inside the recruiter's hours"
    # The week left out, the free-marked reminder and the cancelled meeting still offer their hours.
    for start in (
        local(AMSTERDAM, 2027, 3, 24, 10, 0),
        local(AMSTERDAM, 2027, 3, 22, 10, 0),
        local(AMSTERDAM, 2027, 3, 23, 10, 0),
        local(AMSTERDAM, 2027, 3, 31, 10, 0),  # the moved week's old hour
    ):
        assert start in after
    assert not [s for s in after if s.astimezone(AMSTERDAM).date() == date(2027, 3, 19)]


def test_a_wrong_caldav_password_is_a_message_and_the_busy_times_read_before_stay(team, radicale):
    calendar = radicale.new_calendar("work")
    calendar.add_event(calendar_of(event("one", utc(2027, 3, 16, 9, 0), utc(2027, 3, 16, 10, 0))).decode())
    recruiter = team.recruiter
    own_calendar.connect(
        recruiter, recruiter, kind="caldav", url=radicale.url, username=radicale.username, password=radicale.password
    )
    assert own_calendar.refresh(recruiter, now=NOW_EU).ok
    kept = stored_busy(recruiter)
    assert (utc(2027, 3, 16, 9, 0), utc(2027, 3, 16, 10, 0)) in kept

    own_calendar.connect(
        recruiter, recruiter, kind="caldav", url=radicale.url, username=radicale.username, password="not it"
    )
    outcome = own_calendar.refresh(recruiter, now=NOW_EU + timedelta(hours=1))

    assert not outcome.ok and "refused the user name or password" in outcome.error
    assert stored_busy(recruiter) == kept
    saved = profile(recruiter)
    assert saved.calendar_error == outcome.error and saved.calendar_refreshed_at == NOW_EU
    assert "not it" not in outcome.error and radicale.password not in saved.calendar_error


def test_the_caldav_password_is_kept_encrypted_and_an_empty_one_keeps_it(team, radicale):
    recruiter = team.recruiter
    own_calendar.connect(
        recruiter, recruiter, kind="caldav", url=radicale.url, username=radicale.username, password=radicale.password
    )
    sealed = profile(recruiter).calendar_secret
    assert sealed and radicale.password not in sealed
    assert own_calendar.unseal(sealed) == radicale.password
    own_calendar.connect(recruiter, recruiter, kind="caldav", url=radicale.url, username=radicale.username)
    assert profile(recruiter).calendar_secret == sealed
    # Another account needs its own password.
    with pytest.raises(own_calendar.CalendarInvalid) as refused:
        own_calendar.connect(recruiter, recruiter, kind="caldav", url=radicale.url, username="someone-else")
    assert refused.value.field == "calendar_password"
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("scheduling.calendar%"))).all()
    assert audit and all(radicale.password not in str(entry.data) for entry in audit)


def test_an_address_that_is_no_calendar_server_is_a_message(team, feed_server):
    recruiter = team.recruiter
    own_calendar.connect(
        recruiter, recruiter, kind="caldav", url=feed_server.url("/missing"), username="ines", password="secret"
    )
    outcome = own_calendar.refresh(recruiter, now=NOW_EU)
    assert not outcome.ok and outcome.error
    assert profile(recruiter).calendar_error == outcome.error


# --- ICS feeds -------------------------------------------------------------------------------------


def los_angeles_feed() -> bytes:
    """A feed kept in Los Angeles: a weekly meeting across the US clock change, a floating-time lunch (the
    reader's own wall clock), free/busy periods, and a free period that does not block."""
    weekly = event(
        "la-weekly",
        local(LOS_ANGELES, 2027, 3, 11, 8, 0),
        local(LOS_ANGELES, 2027, 3, 11, 9, 0),
        rrule={"FREQ": "WEEKLY", "UNTIL": utc(2027, 4, 1, 15, 0)},  # UTC, as RFC 5545 asks
    )
    lunch = icalendar.Event()
    lunch.add("uid", "floating-lunch")
    lunch.add("dtstamp", utc(2027, 3, 1, 0, 0))
    lunch.add("dtstart", datetime(2027, 3, 9, 12, 0))  # floating: 12:00 wherever the reader is
    lunch.add("duration", timedelta(hours=1))
    freebusy = icalendar.FreeBusy()
    freebusy.add("uid", "fb")
    freebusy.add("dtstamp", utc(2027, 3, 1, 0, 0))
    freebusy.add("freebusy", (utc(2027, 3, 10, 9, 0), utc(2027, 3, 10, 10, 0)))
    freebusy.add("freebusy", (utc(2027, 3, 10, 13, 0), timedelta(minutes=30)), parameters={"FBTYPE": "BUSY-TENTATIVE"})
    freebusy.add("freebusy", (utc(2027, 3, 10, 15, 0), utc(2027, 3, 10, 16, 0)), parameters={"FBTYPE": "FREE"})
    # An interview the portal sent, imported into this calendar: the portal counts it from its own records.
    own = event("9b2c-example@candor", utc(2027, 3, 12, 9, 0), utc(2027, 3, 12, 10, 0))
    return calendar_of(weekly, lunch, freebusy, own)


EXPECTED_LOS_ANGELES = [
    (utc(2027, 3, 9, 11, 0), utc(2027, 3, 9, 12, 0)),  # 12:00 floating, read in Amsterdam (CET)
    (utc(2027, 3, 10, 9, 0), utc(2027, 3, 10, 10, 0)),
    (utc(2027, 3, 10, 13, 0), utc(2027, 3, 10, 13, 30)),
    (utc(2027, 3, 11, 16, 0), utc(2027, 3, 11, 17, 0)),  # 08:00 PST
    (utc(2027, 3, 18, 15, 0), utc(2027, 3, 18, 16, 0)),  # 08:00 PDT, after the US switch
    (utc(2027, 3, 25, 15, 0), utc(2027, 3, 25, 16, 0)),
    (utc(2027, 4, 1, 15, 0), utc(2027, 4, 1, 16, 0)),
]


def test_an_ics_feed_with_los_angeles_times_blocks_them_in_utc(team, factory, feed_server):
    feed_server.routes["/la.ics"] = (200, los_angeles_feed(), {"Content-Type": "text/calendar"})
    recruiter = team.recruiter
    own_calendar.connect(recruiter, recruiter, kind="ics", url=feed_server.url("/la.ics"))
    application = screening(factory, team)

    outcome = own_calendar.refresh(recruiter, now=NOW_US)

    assert outcome.ok, outcome.error
    assert stored_busy(recruiter) == EXPECTED_LOS_ANGELES
    after = scheduling.offer(application, now=NOW_US).starts
    assert after and overlapping(after, 30, EXPECTED_LOS_ANGELES) == []
    assert local(AMSTERDAM, 2027, 3, 11, 16, 30) in after  # the weekly meeting starts at 17:00 in Amsterdam
    assert utc(2027, 3, 10, 15, 0) in after  # a FREE period blocks nothing
    assert utc(2027, 3, 12, 9, 0) in after  # nor does the portal's own interview


def test_a_feed_redirect_is_followed_a_few_times_only(team, feed_server):
    feed_server.routes["/la.ics"] = (200, los_angeles_feed(), {})
    feed_server.routes["/old"] = (301, b"", {"Location": "/la.ics"})
    recruiter = team.recruiter
    own_calendar.connect(recruiter, recruiter, kind="ics", url=feed_server.url("/old"))
    assert own_calendar.refresh(recruiter, now=NOW_US).ok
    assert stored_busy(recruiter) == EXPECTED_LOS_ANGELES
    for hop in range(6):
        feed_server.routes[f"/loop{hop}"] = (302, b"", {"Location": f"/loop{hop + 1}"})
    own_calendar.connect(recruiter, recruiter, kind="ics", url=feed_server.url("/loop0"))
    outcome = own_calendar.refresh(recruiter, now=NOW_US)
    assert not outcome.ok and "redirects too many times" in outcome.error
    assert "/loop5" not in feed_server.requests


HUGE = b"BEGIN:VCALENDAR\r\n" + (b"X-PAD:" + b"x" * 70 + b"\r\n") * 4000  # 300 kB


@pytest.mark.parametrize(
    "route, message",
    [
        ((404, b"gone", {}), "No calendar was found"),
        ((500, b"oops", {}), "answered with an error (500)"),
        ((200, b"<html><body>Sign in</body></html>", {}), "not iCalendar"),
        ((200, b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:not a date\r\n", {}), "iCalendar"),
        ((200, HUGE, {}), "larger than 0.2 MB"),
        ((200, HUGE, {"chunked": True}), "larger than 0.2 MB"),
    ],
    ids=["404", "500", "html", "garbage", "too-large", "too-large-unannounced"],
)
def test_a_failing_feed_keeps_the_busy_times_read_before_and_says_why(app, team, feed_server, route, message):
    feed_server.routes["/feed.ics"] = (200, los_angeles_feed(), {})
    recruiter = team.recruiter
    own_calendar.connect(recruiter, recruiter, kind="ics", url=feed_server.url("/feed.ics"))
    assert own_calendar.refresh(recruiter, now=NOW_US).ok
    app.config["CALENDAR_MAX_BYTES"] = 200_000
    feed_server.routes["/feed.ics"] = route

    outcome = own_calendar.refresh(recruiter, actor=recruiter, now=NOW_US + timedelta(hours=1))

    assert not outcome.ok and message in outcome.error
    assert stored_busy(recruiter) == EXPECTED_LOS_ANGELES
    saved = profile(recruiter)
    assert saved.calendar_error == outcome.error
    assert saved.calendar_refreshed_at == NOW_US  # the last time it was read, not the failed attempt
    # The next good reading clears the message.
    feed_server.routes["/feed.ics"] = (200, los_angeles_feed(), {})
    assert own_calendar.refresh(recruiter, now=NOW_US + timedelta(hours=2)).ok
    assert profile(recruiter).calendar_error == ""


def test_refreshing_due_calendars_reads_each_one_once_per_period(team, feed_server, app):
    feed_server.routes["/la.ics"] = (200, los_angeles_feed(), {})
    feed_server.routes["/broken.ics"] = (404, b"", {})
    first, second = team.engineers[0], team.engineers[1]
    own_calendar.connect(first, first, kind="ics", url=feed_server.url("/la.ics"))
    own_calendar.connect(second, second, kind="ics", url=feed_server.url("/broken.ics"))

    report = own_calendar.refresh_due(now=NOW_US)
    assert (report.read, report.failed) == (1, 1)
    assert len(stored_busy(first)) == len(EXPECTED_LOS_ANGELES)
    assert "No calendar was found" in profile(second).calendar_error
    # Within the period nothing is read again, the failing one neither; after it, both are.
    assert own_calendar.refresh_due(now=NOW_US + timedelta(minutes=29)).read == 0
    assert len(feed_server.requests) == 2
    later = own_calendar.refresh_due(now=NOW_US + timedelta(minutes=31))
    assert (later.read, later.failed) == (1, 1)


def test_disconnecting_forgets_the_calendar_its_password_and_its_busy_times(team, radicale):
    calendar = radicale.new_calendar("work")
    calendar.add_event(calendar_of(event("one", utc(2027, 3, 16, 9, 0), utc(2027, 3, 16, 10, 0))).decode())
    recruiter = team.recruiter
    own_calendar.connect(
        recruiter, recruiter, kind="caldav", url=radicale.url, username=radicale.username, password=radicale.password
    )
    assert own_calendar.refresh(recruiter, now=NOW_EU).ok and stored_busy(recruiter)
    own_calendar.disconnect(recruiter, recruiter)
    saved = profile(recruiter)
    assert stored_busy(recruiter) == []
    assert (saved.calendar_kind, saved.calendar_url, saved.calendar_username, saved.calendar_secret) == (None,) * 4
    assert own_calendar.refresh_due(now=NOW_EU + timedelta(days=1)).read == 0


def test_flask_calendars_refresh_reads_the_due_calendars_for_cron(app, team, feed_server):
    feed_server.routes["/la.ics"] = (200, los_angeles_feed(), {})
    engineer = team.engineers[0]
    own_calendar.connect(engineer, engineer, kind="ics", url=feed_server.url("/la.ics"))
    result = app.test_cli_runner().invoke(args=["calendars", "refresh"])
    assert result.exit_code == 0, result.output
    assert "read 1, failed 0" in result.output
    assert profile(engineer).calendar_refreshed_at is not None
    again = app.test_cli_runner().invoke(args=["calendars", "refresh"])
    assert "read 0, failed 0" in again.output and feed_server.requests == ["/la.ics"]


def test_the_outbox_worker_reads_due_calendars_beside_the_mail(app, team, feed_server):
    feed_server.routes["/la.ics"] = (200, los_angeles_feed(), {})
    engineer = team.engineers[0]
    own_calendar.connect(engineer, engineer, kind="ics", url=feed_server.url("/la.ics"))
    result = app.test_cli_runner().invoke(args=["outbox", "work", "--interval", "0.05", "--stop-after", "1"])
    assert result.exit_code == 0, result.output
    assert profile(engineer).calendar_refreshed_at is not None
    assert feed_server.requests == ["/la.ics"]
