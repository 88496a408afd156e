"""Queue mail in the outbox inside the caller's transaction; only the worker talks SMTP."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

from flask import current_app, render_template
from markupsafe import Markup

from portal.extensions import db
from portal.notifications.models import OutboxAttachment, OutboxMessage
from portal.templating import rendering_for


class PortalLink(str):
    """A link the portal itself puts in a mail: plain text in the text part, an anchor in the HTML part.

    Only values of this type become anchors; staff-written text that happens to look like a URL
    (feedback saying "https://evil.example" or "javascript:...") stays escaped text.
    """

    def __html__(self) -> Markup:
        return Markup('<a href="{0}" style="color: #18548d;">{0}</a>').format(str(self))


def link(endpoint: str, **values) -> PortalLink:
    """An absolute link for mail, built from BASE_URL so it works outside a request too."""
    base = current_app.config["BASE_URL"]
    parts = urlsplit(base)
    path = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/").build(endpoint, values)
    return PortalLink(f"{parts.scheme}://{parts.netloc}{path}")


# iTIP methods (RFC 5546) a calendar part may carry; the MIME parameter must repeat the calendar's METHOD.
ITIP_METHODS = {"PUBLISH", "REQUEST", "REPLY", "ADD", "CANCEL", "REFRESH", "COUNTER", "DECLINECOUNTER"}
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Attachment:
    """A part to send with a mail. `content_type` keeps its parameters; text is encoded in its charset."""

    filename: str
    content_type: str
    content: bytes | str

    @classmethod
    def calendar(cls, ics: str | bytes, method: str = "REQUEST", filename: str = "invite.ics") -> Attachment:
        """An iMIP invitation (RFC 6047): mail clients offer to add it to the calendar."""
        return cls(filename, f"text/calendar; method={method.upper()}; charset=UTF-8", ics)

    def encoded(self) -> tuple[str, bytes]:
        """The content type to store (a text type always names its charset) and the bytes; refuses a
        part no mail client could read as meant."""
        if _HEADER_UNSAFE.search(self.filename) or _HEADER_UNSAFE.search(self.content_type):
            raise ValueError("an attachment's filename and content type are one line each")
        if not self.filename.strip() or len(self.filename) > 255 or any(c in self.filename for c in '/\\"'):
            raise ValueError(f"not a plain file name: {self.filename!r}")
        parsed = parse_content_type(self.content_type)
        content_type = self.content_type.strip()
        charset = parsed.get_content_charset()
        if parsed.get_content_maintype() == "text" and charset is None:
            charset = "utf-8"
            content_type += "; charset=UTF-8"
        data = self.content.encode(charset or "utf-8") if isinstance(self.content, str) else bytes(self.content)
        if parsed.get_content_type() == "text/calendar" and parsed.get_param("method") is not None:
            method = str(parsed.get_param("method")).upper()
            if method not in ITIP_METHODS:
                raise ValueError(f"unknown iTIP method {method!r}")
            text = data.decode(charset or "utf-8")
            if not re.search(rf"^METHOD:{method}\r?$", text, re.MULTILINE):
                raise ValueError(f"the calendar's METHOD must be {method}, as its content type says")
        return content_type, data


_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][\w!#$&^.+-]*/[A-Za-z0-9][\w!#$&^.+-]*\s*(;|$)")


def parse_content_type(value: str) -> EmailMessage:
    """A header-only message whose Content-Type is `value`, to read its type and parameters."""
    if not _MEDIA_TYPE.match(value.strip()):
        raise ValueError(f"not a content type: {value!r}")
    holder = EmailMessage()
    holder["Content-Type"] = value
    return holder


SUBJECT_MAX = OutboxMessage.__table__.c.subject.type.length


def _subject(raw: str) -> str:
    """One line (a header never carries a line break) that fits the column.

    Subjects carry a position title and a stage name; a long title must not make the change
    that sends the mail fail (PostgreSQL refuses a value longer than the column).
    """
    subject = " ".join(raw.split())
    if len(subject) > SUBJECT_MAX:
        subject = subject[: SUBJECT_MAX - 1].rstrip() + "…"
    return subject


def _html_environment():
    """The app's template environment with escaping on, for the HTML part of a text template."""
    app = current_app._get_current_object()
    env = app.extensions.get("candor.mail_html")
    if env is None:
        env = app.extensions["candor.mail_html"] = app.jinja_env.overlay(autoescape=True)
    return env


def _html_paragraphs(name: str, context: dict) -> list[Markup]:
    """The text template rendered again with every value escaped and portal links as anchors.

    The same template and context as the text part, so the two never say different things.
    """
    context = dict(context)
    current_app.update_template_context(context)
    html = Markup(_html_environment().get_template(name).render(context))
    body = html.partition("\n")[2]
    paragraphs = (p.strip("\n") for p in body.split("\n\n"))
    return [Markup("<br>\n").join(p.split("\n")) for p in paragraphs if p.strip()]


def queue_mail(recipient, template: str, *, attachments: Iterable[Attachment] = (), **context) -> OutboxMessage:
    """Render mail/<template>.txt for `recipient` and add it to the outbox (flushed, not committed).

    `recipient` is a User (preferred: the mail is rendered for them, e.g. times in their zone, even
    when a staff member's click queues it) or a bare address for someone without an account (UTC).
    `attachments` are stored with the message, in the same transaction.

    The subject is the first line of the text template, after "Subject: ". The HTML part
    is the same template, escaped, in the shared mail layout.
    """
    user = None if isinstance(recipient, str) else recipient
    to_addr = recipient if user is None else user.email
    context.setdefault("recipient", user)
    context.setdefault("link", link)
    name = f"mail/{template}.txt"
    with rendering_for(user):
        text = render_template(name, **context)
        paragraphs = _html_paragraphs(name, context)
    subject_line, _, body = text.partition("\n")
    if not subject_line.startswith("Subject: "):
        raise ValueError(f"mail/{template}.txt must start with a 'Subject: ' line")
    subject = _subject(subject_line[9:])
    body = body.strip("\n") + "\n"
    html = render_template("mail/layout.html", subject=subject, paragraphs=paragraphs)
    domain = urlsplit(current_app.config["BASE_URL"]).hostname or "candor"
    message = OutboxMessage(
        kind=template,
        to_addr=to_addr,
        subject=subject,
        body_text=body,
        body_html=html,
        message_id=f"<{uuid.uuid4().hex}@{domain}>",
    )
    for position, attachment in enumerate(attachments):
        content_type, data = attachment.encoded()
        message.attachments.append(
            OutboxAttachment(position=position, filename=attachment.filename, content_type=content_type, content=data)
        )
    db.session.add(message)
    db.session.flush()
    return message
