"""Template filters: times are stored in UTC and shown in the viewer's own time zone."""

from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import nh3
from flask import g, has_request_context
from flask_login import current_user
from markdown_it import MarkdownIt
from markupsafe import Markup

from portal.timeutil import zone_of

# Mail is rendered for its recipient, often inside a staff member's request: while it renders, this
# names the reader (a User, or None for an address without an account), in place of current_user.
_SIGNED_IN = object()  # no mail is rendering: the reader is whoever is signed in
_reader: ContextVar[object] = ContextVar("candor_template_reader", default=_SIGNED_IN)


@contextmanager
def rendering_for(user):
    """Render for `user` (None: someone without an account, so UTC), not for the signed-in viewer."""
    token = _reader.set(user)
    try:
        yield
    finally:
        _reader.reset(token)


def _zone(user=None) -> ZoneInfo:
    """The time zone of `user`, else of the reader rendered for, else of the signed-in person; else UTC."""
    if user is None:
        user = _reader.get()
        if user is _SIGNED_IN:
            return _viewer_zone()
    return zone_of(user)


def _viewer_zone() -> ZoneInfo:
    """The signed-in viewer's zone, looked up once per request: a page shows dozens of times."""
    if not has_request_context():
        return zone_of(current_user if current_user else None)
    viewer = current_user._get_current_object() if current_user else None
    cached = g.get("candor_viewer_zone")
    if cached is None or cached[0] is not viewer or cached[1] != getattr(viewer, "timezone", None):
        cached = (viewer, getattr(viewer, "timezone", None), zone_of(viewer))
        g.candor_viewer_zone = cached
    return cached[2]


def local_datetime(value: datetime | None, fmt: str = "%a %d %b %Y, %H:%M", user=None) -> str:
    """A moment as the viewer reads it, with the zone's name, since mail and pages travel between zones."""
    if value is None:
        return ""
    zone = _zone(user)
    local = value.astimezone(zone)
    return f"{local.strftime(fmt)} ({zone.key})"


def local_date(value: datetime | date | None, user=None) -> str:
    """A date as the viewer reads it (in mail, the recipient)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(_zone(user)).date()
    return value.strftime("%A %d %B %Y")


def iso(value: datetime | date | None) -> str:
    """A machine-readable time for <time datetime>: a date as it is; an instant in UTC with `Z`, to the
    millisecond at most, because HTML allows no more than three digits of a second (Python writes six)."""
    if not value:
        return ""
    if not isinstance(value, datetime):
        return value.isoformat()
    if value.tzinfo is None:  # the portal keeps UTC inside; only SQLite hands it back without a zone
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    utc = value.astimezone(ZoneInfo("UTC"))
    precision = "milliseconds" if utc.microsecond >= 1000 else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=precision) + "Z"


# CommonMark without raw HTML, then nh3 keeps only harmless tags: staff text can format, never script.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "code",
    "pre",
    "blockquote",
    "h3",
    "h4",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
}


def markdown(text: str | None) -> Markup:
    """Staff-written Markdown as safe HTML. Headings start at h3, below the page's own h1 and h2."""
    text = text or ""
    return Markup(_cached_render(text) if len(text) <= _CACHED_UP_TO else _render(text))


# A pure function of the text, and the same few descriptions are shown on every page view: each is
# parsed and sanitised once per process, not on every request (bounded: 256 texts of at most 20,000
# characters, a few megabytes at worst).
_CACHED_UP_TO = 20_000


def _render(text: str) -> str:
    html = _MARKDOWN.render(text)
    html = html.replace("<h1>", "<h3>").replace("</h1>", "</h3>").replace("<h2>", "<h3>").replace("</h2>", "</h3>")
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return clean


_cached_render = lru_cache(maxsize=256)(_render)


class MailMarkdown(str):
    """Staff-written Markdown in a mail: as typed in the text part (Markdown reads as plain text), and
    in the HTML part rendered and sanitised exactly as on the candidate's page, so "**Strengths:**"
    is bold there, not asterisks. One paragraph of the mail: its own paragraphs become line breaks.
    Links keep their words and lose their anchor: in mail, only the portal's own links are links."""

    def __html__(self) -> Markup:
        html = re.sub(r">\s*\n\s*<", "><", str(markdown(str(self))).strip())
        html = re.sub(r"<a\b[^>]*>|</a>", "", html)
        parts = []
        # Code blocks keep their lines as typed (as character references: the mail's own paragraphs
        # are split at line ends); elsewhere a line break the Markdown already made (two spaces at the
        # end of a line) stays one, and the other line ends become breaks.
        for part in re.split(r"(<pre>.*?</pre>)", html, flags=re.S):
            if part.startswith("<pre>"):
                part = part.replace("\n", "&#10;")
            else:
                part = re.sub(r"<br\s*/?>\s*\n", "<br>", part).replace("\n", "<br>")
            parts.append(part)
        html = "".join(parts).replace("</p><p>", "<br><br>").removeprefix("<p>").removesuffix("</p>")
        return Markup(html)


def mail_markdown(text: str | None) -> MailMarkdown:
    return MailMarkdown(text or "")


def register(app) -> None:
    app.jinja_env.filters.update(
        local_datetime=local_datetime, local_date=local_date, iso=iso, markdown=markdown, mail_markdown=mail_markdown
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
