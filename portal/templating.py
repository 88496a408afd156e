"""Template filters: times are stored in UTC and shown in the viewer's own time zone."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_login import current_user


def _zone(user=None) -> ZoneInfo:
    """The time zone of `user`, or of the signed-in person; UTC when unknown."""
    if user is None:
        user = current_user if current_user else None
    try:
        return ZoneInfo(getattr(user, "timezone", None) or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def local_datetime(value: datetime | None, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    if value is None:
        return ""
    zone = _zone()
    local = value.astimezone(zone)
    return f"{local.strftime(fmt)} ({zone.key})"


def local_date(value: datetime | date | None, user=None) -> str:
    """A date as the viewer reads it; in mail, pass the recipient (there is no signed-in viewer)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(_zone(user)).date()
    return value.strftime("%A %d %B %Y")


def iso(value: datetime | date | None) -> str:
    return value.isoformat() if value else ""


def register(app) -> None:
    app.jinja_env.filters.update(local_datetime=local_datetime, local_date=local_date, iso=iso)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
