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


def queue_mail(to_addr: str, template: str, **context) -> OutboxMessage:
    """Render mail/<template>.txt and add it to the outbox (flushed, not committed).

    The subject is the first line of the text template, after "Subject: ". The HTML part
    is the same text in the shared mail layout, so the two never say different things.
    """
    context.setdefault("link", link)
    text = render_template(f"mail/{template}.txt", **context)
    subject_line, _, body = text.partition("\n")
    if not subject_line.startswith("Subject: "):
        raise ValueError(f"mail/{template}.txt must start with a 'Subject: ' line")
    body = body.strip("\n") + "\n"
    html = render_template("mail/layout.html", subject=subject_line[9:].strip(), paragraphs=body.split("\n\n"))
    domain = urlsplit(current_app.config["BASE_URL"]).hostname or "candor"
    message = OutboxMessage(
        kind=template,
        to_addr=to_addr,
        subject=subject_line[9:].strip(),
        body_text=body,
        body_html=html,
        message_id=f"<{uuid.uuid4().hex}@{domain}>",
    )
    db.session.add(message)
    db.session.flush()
    return message
