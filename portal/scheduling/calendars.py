"""Reading a staff member's own calendar: an ICS feed over http(s) or a CalDAV account, turned into
busy intervals in UTC over the booking horizon. Network and parsing only; no database.

The addresses come from staff, so the portal would fetch whatever they name: every host is resolved
and refused when it is on the portal's own network (loopback, private, link-local, multicast,
reserved) before a connection is opened, for the address given and for every redirect, unless
CALENDAR_ALLOW_PRIVATE_HOSTS says the calendars live there. Responses are read in chunks up to a
size cap, so a feed cannot fill the memory of the worker that reads it.
"""

from __future__ import annotations

import ipaddress
import socket
import time as time_module
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
import requests
import requests.adapters
import urllib3.connection
import urllib3.connectionpool

from portal.forms import hidden_characters, text_problem
from portal.scheduling.slots import Interval, merge
from portal.storage.kinds import MB

UTC = timezone.utc
MAX_URL_LENGTH = 500
MAX_REDIRECTS = 3
TIMEOUT = (5, 15)  # seconds: to connect, and between two reads
READ_DEADLINE = 30  # seconds for a whole feed: a server dripping a byte now and then is cut off
# Events over the booking horizon, counted as rules expand: a person's three weeks hold a few hundred;
# a rule repeating every second would otherwise expand into millions.
MAX_EVENTS = 5000
# A rule is expanded from its first occurrence, one step at a time: a rule repeating every second
# since long ago takes minutes before its first instance in the horizon. The steps before the horizon
# are estimated from the rule and refused beyond this (a daily event since 1980 is some 17,000).
MAX_RULE_STEPS = 200_000
_SECONDS_PER = {"SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600, "DAILY": 86400, "WEEKLY": 7 * 86400}
CHUNK = 64 * 1024
BUSY_FREEBUSY_TYPES = {"BUSY", "BUSY-UNAVAILABLE", "BUSY-TENTATIVE"}
# The portal's own interviews (their UIDs, portal/scheduling/invites.py) are counted from the database:
# a copy in the interviewer's calendar must not stand in the way when the interview itself is moved.
OWN_UID_SUFFIX = "@candor"


class CalendarError(Exception):
    """A calendar that could not be read, with a short message for its owner (never a secret)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Limits:
    allow_private_hosts: bool
    max_bytes: int


# --- addresses ------------------------------------------------------------------------------------


def check_url(url: str, *, allow_private_hosts: bool) -> str:
    """The address, stripped, if the portal may fetch it; else CalendarError saying why.

    Resolves the host: a name that points at the portal's own network is refused like the address."""
    url = (url or "").strip()
    if not url:
        raise CalendarError("Give the address of your calendar.")
    if len(url) > MAX_URL_LENGTH:
        raise CalendarError(f"The address is too long (at most {MAX_URL_LENGTH} characters).")
    if any(ch.isspace() for ch in url) or hidden_characters(url) or text_problem(url):
        raise CalendarError("The address holds spaces or invisible characters: copy it again from your calendar.")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise CalendarError("The address must start with https:// (or http://).")
    if not parts.hostname:
        raise CalendarError("The address has no host name.")
    if parts.username or parts.password:
        raise CalendarError("Put the user name and password in their own fields, not in the address.")
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise CalendarError("The address has an invalid port.") from None
    if allow_private_hosts:
        return url
    try:
        found = _resolve(parts.hostname, port)
    except (socket.gaierror, UnicodeError):
        raise CalendarError(f"The host {parts.hostname} could not be found.") from None
    for address in found:
        if _internal(ipaddress.ip_address(address.split("%", 1)[0])):
            raise CalendarError(
                f"The host {parts.hostname} is on a private or reserved network, which the portal does not reach."
            )
    return url


def _resolve(host: str, port: int) -> list[str]:
    return [sockaddr[0] for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


class _PeerChecked:
    """A connection that looks at the address it actually reached, before a byte is sent: a name may
    resolve to a public address when checked and to the portal's own network a moment later."""

    def _new_conn(self):
        sock = super()._new_conn()
        try:
            peer = sock.getpeername()[0]
        except (AttributeError, OSError):
            peer = None
        if peer is None or _internal(ipaddress.ip_address(str(peer).split("%", 1)[0])):
            sock.close()
            raise CalendarError(
                f"The host {self.host} is on a private or reserved network, which the portal does not reach."
            )
        return sock


class _PeerCheckedHTTPConnection(_PeerChecked, urllib3.connection.HTTPConnection):
    pass


class _PeerCheckedHTTPSConnection(_PeerChecked, urllib3.connection.HTTPSConnection):
    pass


class _PeerCheckedHTTPPool(urllib3.connectionpool.HTTPConnectionPool):
    ConnectionCls = _PeerCheckedHTTPConnection


class _PeerCheckedHTTPSPool(urllib3.connectionpool.HTTPSConnectionPool):
    ConnectionCls = _PeerCheckedHTTPSConnection


def guard_session(session, adapter_class) -> None:
    """Mount adapters on a requests (or niquests) session whose connections check their peer."""

    class Adapter(adapter_class):
        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": _PeerCheckedHTTPPool, "https": _PeerCheckedHTTPSPool}

    for prefix in ("http://", "https://"):
        session.mount(prefix, Adapter())


def _internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


# --- ICS feeds ------------------------------------------------------------------------------------


def fetch_ics(url: str, limits: Limits) -> bytes:
    """The feed's bytes: at most a few redirects, each checked like the address, and at most max_bytes."""
    session = requests.Session()
    session.trust_env = False  # a proxy from the environment would see the private address
    if not limits.allow_private_hosts:
        guard_session(session, requests.adapters.HTTPAdapter)
    try:
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url, allow_private_hosts=limits.allow_private_hosts)
            try:
                response = session.get(
                    url,
                    timeout=TIMEOUT,
                    stream=True,
                    allow_redirects=False,
                    headers={"Accept": "text/calendar, */*;q=0.5", "User-Agent": "Candor calendar reader"},
                )
            except requests.Timeout:
                raise CalendarError("The calendar did not answer in time.") from None
            except requests.RequestException:
                raise CalendarError("The calendar could not be reached.") from None
            with response:
                if response.is_redirect:
                    url = urljoin(url, response.headers.get("Location", ""))
                    continue
                _check_status(response.status_code)
                return _read_capped(response, limits.max_bytes)
        raise CalendarError("The calendar's address redirects too many times.")
    finally:
        session.close()


def _check_status(status: int) -> None:
    if status in (401, 403):
        raise CalendarError("The calendar refused access: check the address (and the user name and password).")
    if status == 404:
        raise CalendarError("No calendar was found at that address (404).")
    if status >= 400:
        raise CalendarError(f"The calendar answered with an error ({status}).")


def _read_capped(response, max_bytes: int, errors: type[Exception] | tuple = requests.RequestException) -> bytes:
    """The body of a streamed response (requests' or niquests'), read in chunks up to max_bytes."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise CalendarError(_too_large(max_bytes))
    chunks, size = [], 0
    deadline = time_module.monotonic() + READ_DEADLINE
    try:
        for chunk in response.iter_content(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise CalendarError(_too_large(max_bytes))
            if time_module.monotonic() > deadline:
                raise CalendarError("The calendar took too long to send (more than 30 seconds).")
            chunks.append(chunk)
    except errors:
        raise CalendarError("The calendar stopped answering while it was being read.") from None
    return b"".join(chunks)


def _too_large(max_bytes: int) -> str:
    megabytes = f"{max_bytes / MB:.1f}".removesuffix(".0")
    return f"The calendar is larger than {megabytes} MB, more than the portal reads."


# --- parsing --------------------------------------------------------------------------------------


def parse_calendar(data: bytes) -> icalendar.Calendar:
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except (ValueError, IndexError, KeyError, TypeError):
        raise CalendarError("That address does not serve a calendar (the data is not iCalendar).") from None
    if not calendars:
        raise CalendarError("That address does not serve a calendar (the data is not iCalendar).")
    if len(calendars) == 1:
        return calendars[0]
    joined = icalendar.Calendar()
    for calendar in calendars:
        for component in calendar.subcomponents:
            joined.add_component(component)
    return joined


def busy_intervals(
    calendars: Iterable[icalendar.Calendar], start: datetime, end: datetime, zone: ZoneInfo
) -> list[Interval]:
    """Busy time between start and end (UTC): events expanded from their rules, with their own time zones
    (floating times and whole days in `zone`, the owner's), minus transparent and cancelled ones and the
    portal's own interviews, and the busy periods of VFREEBUSY components. Merged and clipped to [start, end)."""
    found: list[Interval] = []
    for calendar in calendars:
        for event in _events_between(calendar, start, end, zone):
            interval = _event_interval(event, zone)
            if interval is not None:
                found.append(interval)
        for freebusy in calendar.walk("VFREEBUSY"):
            found.extend(_freebusy_intervals(freebusy, zone))
    clipped = [Interval(max(i.start, start), min(i.end, end)) for i in found if i.end > start and i.start < end]
    return merge(clipped)


def _events_between(calendar: icalendar.Calendar, start: datetime, end: datetime, zone: ZoneInfo) -> list:
    """The events happening between start and end, expanded lazily in order of their start (rules with
    their exceptions), refused beyond MAX_EVENTS before they fill the memory or the worker's time."""
    _check_rules(calendar, start, zone)
    events = []
    # Whole days and floating times are placed in the owner's zone only later: a day of slack on
    # each side keeps every event that may touch the horizon.
    stop = end + timedelta(days=1)
    try:
        for event in recurring_ical_events.of(calendar).after(start - timedelta(days=1)):
            begins = event.get("DTSTART")
            if begins is not None and _instant(begins.dt, zone) >= stop:
                break
            events.append(event)
            if len(events) > MAX_EVENTS:
                raise CalendarError(
                    f"The calendar holds more than {MAX_EVENTS:,} events in the next weeks, more than the portal "
                    "reads: check for an event that repeats every minute or second."
                )
    except CalendarError:
        raise
    except Exception:  # noqa: BLE001  the library raises many kinds on broken rules or dates
        raise CalendarError("The calendar holds an event the portal cannot read (a broken date or rule).") from None
    return events


def _check_rules(calendar: icalendar.Calendar, start: datetime, zone: ZoneInfo) -> None:
    for event in calendar.walk("VEVENT"):
        rules, first = event.get("RRULE"), event.get("DTSTART")
        if rules is None or first is None:
            continue
        try:
            before = (start - _instant(first.dt, zone)).total_seconds()
        except (TypeError, ValueError, OverflowError):
            continue  # the expansion reports the broken date
        for rule in rules if isinstance(rules, list) else [rules]:
            period = _SECONDS_PER.get(str((rule.get("FREQ") or [""])[0]).upper(), 28 * 86400)
            per_period = 1
            for part in ("BYSECOND", "BYMINUTE", "BYHOUR"):
                per_period *= max(1, len(rule.get(part) or []))
            try:
                interval = max(1, int((rule.get("INTERVAL") or [1])[0]))
            except (TypeError, ValueError):
                interval = 1
            if before / (period * interval) * per_period > MAX_RULE_STEPS:
                raise CalendarError(
                    "The calendar holds an event that repeats too often since too long ago for the portal "
                    "to read (every second or minute, or every hour for decades)."
                )


def _event_interval(event, zone: ZoneInfo) -> Interval | None:
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return None
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return None
    if str(event.get("UID", "")).endswith(OWN_UID_SUFFIX) or event.get("DTSTART") is None:
        return None
    first = event["DTSTART"].dt
    if event.get("DTEND") is not None:
        last = event["DTEND"].dt
    elif event.get("DURATION") is not None:
        last = first + event["DURATION"].dt
    else:
        last = first + timedelta(days=1) if not isinstance(first, datetime) else first
    starts, ends = _instant(first, zone), _instant(last, zone)
    return Interval(starts, ends) if starts < ends else None


def _freebusy_intervals(component, zone: ZoneInfo) -> list[Interval]:
    values = component.get("FREEBUSY")
    if values is None:
        return []
    found = []
    for value in values if isinstance(values, list) else [values]:
        kind = str(value.params.get("FBTYPE", "BUSY")).upper()
        if kind not in BUSY_FREEBUSY_TYPES:
            continue
        first, second = value.dt
        last = first + second if isinstance(second, timedelta) else second
        starts, ends = _instant(first, zone), _instant(last, zone)
        if starts < ends:
            found.append(Interval(starts, ends))
    return found


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    """A DATE is the start of that day in the owner's zone; a floating time is their wall clock."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0), tzinfo=zone)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def ics_busy(url: str, start: datetime, end: datetime, zone: ZoneInfo, limits: Limits) -> list[Interval]:
    """Busy time of an ICS feed."""
    return busy_intervals([parse_calendar(fetch_ics(url, limits))], start, end, zone)


# --- CalDAV ---------------------------------------------------------------------------------------


def caldav_busy(
    url: str, username: str, password: str, start: datetime, end: datetime, zone: ZoneInfo, limits: Limits
) -> list[Interval]:
    """Busy time of every calendar of a CalDAV account: a time-range search on each (expanded here, so
    recurrence and the rules above are the same as for a feed), or every event where a server refuses
    the search."""
    import caldav
    from caldav.lib import error as caldav_error

    check_url(url, allow_private_hosts=limits.allow_private_hosts)
    client = _guarded_client(caldav, url, username, password, limits)
    try:
        try:
            calendars = _calendars_of(client, url)
        except caldav_error.AuthorizationError:
            raise CalendarError("The calendar server refused the user name or password.") from None
        except CalendarError:
            raise
        except caldav_error.DAVError:
            raise CalendarError("No CalDAV calendars were found at that address.") from None
        except Exception as exc:  # noqa: BLE001  connection errors arrive as the HTTP library's own kinds
            raise _connection_error(exc) from None
        if not calendars:
            raise CalendarError("The account has no calendars.")
        parsed = []
        for calendar in calendars:
            check_url(str(calendar.url), allow_private_hosts=limits.allow_private_hosts)
            parsed.extend(_events_of(calendar, start, end, caldav_error))
        return busy_intervals(parsed, start, end, zone)
    finally:
        client.close()


def _guarded_client(caldav, url: str, username: str, password: str, limits: Limits):
    class GuardedClient(caldav.DAVClient):
        """Every request, and every redirect, goes to an address check_url allows."""

        def request(self, url, *args, **kwargs):
            check_url(str(url), allow_private_hosts=limits.allow_private_hosts)
            return super().request(url, *args, **kwargs)

    client = GuardedClient(
        url=url, username=username or None, password=password or None, timeout=15, enable_rfc6764=False
    )
    session = client.session
    session.trust_env = False
    if not limits.allow_private_hosts:
        import niquests.adapters

        guard_session(session, niquests.adapters.HTTPAdapter)
    session.max_redirects = MAX_REDIRECTS
    follow = session.get_redirect_target

    def checked_redirect(response):
        target = follow(response)
        if target:
            check_url(urljoin(str(response.url), target), allow_private_hosts=limits.allow_private_hosts)
        return target

    session.get_redirect_target = checked_redirect

    def capped(response, *args, **kwargs):
        # Runs before the client reads the body: read it here, within the size cap and the deadline.
        import niquests

        response._content = _read_capped(response, limits.max_bytes, niquests.RequestException)
        response._content_consumed = True
        return response

    session.hooks["response"].append(capped)
    return client


def _calendars_of(client, url: str) -> list:
    try:
        return list(client.principal().calendars())
    except CalendarError:
        raise
    except Exception as exc:  # noqa: BLE001  no principal there: the address may be one calendar
        from caldav.lib import error as caldav_error

        if isinstance(exc, caldav_error.AuthorizationError):
            raise
        calendar = client.calendar(url=url)
        calendar.get_display_name()  # asks the server: fails where there is no collection
        return [calendar]


def _events_of(calendar, start: datetime, end: datetime, caldav_error) -> list[icalendar.Calendar]:
    try:
        found = calendar.search(start=start, end=end, event=True)
    except CalendarError:
        raise
    except caldav_error.AuthorizationError:
        raise CalendarError("The calendar server refused the user name or password.") from None
    except caldav_error.DAVError:
        try:
            found = calendar.events()  # no time-range search here: every event, expanded and clipped below
        except caldav_error.DAVError:
            raise CalendarError("The calendar server would not list the events of a calendar.") from None
    except Exception as exc:  # noqa: BLE001
        raise _connection_error(exc) from None
    calendars = []
    for resource in found:
        try:
            calendars.append(
                parse_calendar(resource.data.encode() if isinstance(resource.data, str) else resource.data)
            )
        except CalendarError:
            raise CalendarError("The calendar holds an event the portal cannot read.") from None
    return calendars


def _connection_error(exc: Exception) -> CalendarError:
    if isinstance(exc, CalendarError):
        return exc
    name = type(exc).__name__.lower()
    if "timeout" in name:
        return CalendarError("The calendar server did not answer in time.")
    return CalendarError("The calendar server could not be reached.")
