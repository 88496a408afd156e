"""Queue mail in the outbox inside the caller's transaction; only the worker talks SMTP."""
from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from flask import current_app, render_template

from portal.extensions import db
from portal.notifications.models import OutboxMessage


def link(endpoint: str, **values) -> str:
    """An absolute link for mail, built from BASE_URL so it works outside a request too."""
    base = current_app.config["BASE_URL"]
    parts = urlsplit(base)
    path = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/").build(endpoint, values)
    return f"{parts.scheme}://{parts.netloc}{path}"


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


def queue_mail(recipient, template: str, **context) -> OutboxMessage:
    """Render mail/<template>.txt for `recipient` and add it to the outbox (flushed, not committed).

    `recipient` is a User (preferred: the mail is rendered for them, e.g. times in their zone) or
    a bare address for someone without an account.

    The subject is the first line of the text template, after "Subject: ". The HTML part
    is the same text in the shared mail layout, so the two never say different things.
    """
    to_addr = recipient if isinstance(recipient, str) else recipient.email
    context.setdefault("recipient", None if isinstance(recipient, str) else recipient)
    context.setdefault("link", link)
    text = render_template(f"mail/{template}.txt", **context)
    subject_line, _, body = text.partition("\n")
    if not subject_line.startswith("Subject: "):
        raise ValueError(f"mail/{template}.txt must start with a 'Subject: ' line")
    subject = _subject(subject_line[9:])
    body = body.strip("\n") + "\n"
    html = render_template("mail/layout.html", subject=subject, paragraphs=body.split("\n\n"))
    domain = urlsplit(current_app.config["BASE_URL"]).hostname or "candor"
    message = OutboxMessage(
        kind=template,
        to_addr=to_addr,
        subject=subject,
        body_text=body,
        body_html=html,
        message_id=f"<{uuid.uuid4().hex}@{domain}>",
    )
    db.session.add(message)
    db.session.flush()
    return message
