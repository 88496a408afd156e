"""Outbox delivery: claim due messages, send them over SMTP, retry with backoff.

Several workers may run at once: on PostgreSQL a claim takes rows with FOR UPDATE SKIP LOCKED
and marks them as leased to one pass (claim_token), so no two workers send the same message;
each message's lease is renewed just before it is sent and only while the pass still holds it.
A worker that dies while holding a lease leaves the rows to be claimed again when it expires
(at least once; the Message-ID stays the same, so a receiver can drop a repeat).
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.notifications.models import OutboxMessage, OutboxStatus
from portal.notifications.services import parse_content_type
from portal.timeutil import utcnow

log = logging.getLogger("candor.outbox")

LEASE = timedelta(minutes=2)
BATCH = 50


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 10 s, 20 s, 40 s ... capped at one hour."""
    return timedelta(seconds=min(3600, 10 * 2 ** max(0, attempts - 1)))


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0


class Transport:
    """Where mail goes: an SMTP server from MAIL_URL, or the log when none is configured."""

    def __init__(self, url: str, sender: str, *, log_bodies: bool = False):
        self.url = url
        self.sender = sender
        # Bodies hold reset and invitation links: only a development log may show them.
        self.log_bodies = log_bodies
        self._smtp: smtplib.SMTP | None = None

    @classmethod
    def from_config(cls, config) -> Transport:
        return cls(config["MAIL_URL"], config["MAIL_FROM"], log_bodies=config["CANDOR_ENV"] == "development")

    def _connect(self) -> smtplib.SMTP:
        parts = urlsplit(self.url)
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
        if parts.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(parts.hostname, port, timeout=20)
        else:
            smtp = smtplib.SMTP(parts.hostname, port, timeout=20)
            if "starttls" in parts.query:
                smtp.starttls()
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        return smtp

    def send(self, message: OutboxMessage) -> None:
        email = compose(message, self.sender)
        if not self.url:
            self._log(message)
            return
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(email)
        except smtplib.SMTPServerDisconnected:
            self._smtp = self._connect()
            self._smtp.send_message(email)

    def _log(self, message: OutboxMessage) -> None:
        files = "".join(
            f"\n  attached: {a.filename} ({a.content_type}, {len(a.content)} bytes)" for a in message.attachments
        )
        if self.log_bodies:
            log.info(
                "mail %s to %s, subject %r (no MAIL_URL: logged, not sent)%s\n%s",
                message.kind,
                message.to_addr,
                message.subject,
                files,
                message.body_text,
            )
        else:
            log.warning(
                "mail %s to %s, subject %r (no MAIL_URL: not sent; the body is logged only in development)%s",
                message.kind,
                message.to_addr,
                message.subject,
                files,
            )

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None


def compose(message: OutboxMessage, sender: str) -> EmailMessage:
    """The email for an outbox message: text and HTML, an iCalendar invite beside them, then attachments.

    An invite (text/calendar with an iTIP method, RFC 6047) goes into the multipart/alternative
    beside the text and HTML: the layout Google Calendar itself sends, which Outlook and Apple Mail
    process too. A copy is attached as an .ics file for clients that only offer attachments; it is
    application/ics, so that no client reads the same invitation twice.
    """
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_addr
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = formatdate(message.created_at.timestamp(), localtime=False)
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    files = []
    for attachment in message.attachments:
        kind = parse_content_type(attachment.content_type)
        if kind.get_content_type() == "text/calendar" and kind.get_param("method") is not None:
            if not email.is_multipart():
                email.make_alternative()
            email.attach(_part(attachment.content_type, attachment.content))
            files.append(_part("application/ics", attachment.content, filename=attachment.filename))
        else:
            files.append(_part(attachment.content_type, attachment.content, filename=attachment.filename))
    if files:
        email.make_mixed()
        for part in files:
            email.attach(part)
    return email


def _part(content_type: str, content: bytes, *, filename: str | None = None) -> EmailMessage:
    """One MIME part: the stored bytes exactly (base64 keeps an iCalendar's CRLF line ends), under
    the content type exactly as written (unquoted `method=REQUEST`, as RFC 6047 shows it)."""
    kind = parse_content_type(content_type)
    part = EmailMessage()
    disposition = {"disposition": "attachment", "filename": filename} if filename else {}
    part.set_content(content, kind.get_content_maintype(), kind.get_content_subtype(), cte="base64", **disposition)
    del part["Content-Type"]
    part.set_raw("Content-Type", content_type)
    if filename and kind.get_param("name") is None:
        part.set_param("name", filename)  # older clients name an attachment from here
    return part


def claim(limit: int = BATCH, token: str | None = None) -> list[int]:
    """Lease up to `limit` due messages to this worker pass (marked with `token`) and commit the lease."""
    now = utcnow()
    is_due = or_(
        (OutboxMessage.status == OutboxStatus.PENDING.value) & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.status == OutboxStatus.SENDING.value) & (OutboxMessage.lease_until < now),
    )
    due = select(OutboxMessage.id).where(is_due).order_by(OutboxMessage.id).limit(limit)
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(due))
    if not ids:
        db.session.commit()
        return []
    # The update repeats the condition and stamps a token, so where there are no row locks
    # (SQLite) a message another worker claimed in between is not taken twice.
    token = token or uuid.uuid4().hex
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), is_due)
        .values(status=OutboxStatus.SENDING.value, lease_until=now + LEASE, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.claim_token == token)
            .order_by(OutboxMessage.id)
        )
    )


def _held(message_id: int, token: str):
    """The condition that this pass still holds the lease on the message."""
    return (
        (OutboxMessage.id == message_id)
        & (OutboxMessage.claim_token == token)
        & (OutboxMessage.status == OutboxStatus.SENDING.value)
    )


def _start_attempt(message_id: int, token: str, max_attempts: int) -> OutboxMessage | None:
    """Renew the lease for one send and count the attempt, if this pass still holds the message.

    A batch can take longer than one lease (a slow server, many messages); by then another
    worker may have claimed what is left, so each message is checked and re-leased just before
    it is sent. The attempt is counted before sending, so a message that kills the worker
    mid-send still runs out of attempts instead of being retried for ever.
    """
    now = utcnow()
    started = db.session.execute(
        update(OutboxMessage)
        .where(_held(message_id, token), OutboxMessage.attempts < max_attempts)
        .values(lease_until=now + LEASE, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if started.rowcount != 1:  # lost to another worker, or out of attempts (see _bury_exhausted)
        db.session.commit()
        return None
    message = db.session.get(
        OutboxMessage, message_id, populate_existing=True, options=[selectinload(OutboxMessage.attachments)]
    )
    # Detached and out of any transaction while the (possibly slow) SMTP conversation runs.
    db.session.expunge(message)
    db.session.commit()
    return message


def _bury_exhausted(message_id: int, token: str) -> bool:
    """Mark dead a held message with no attempts left: its last attempt stopped the worker."""
    buried = db.session.execute(
        update(OutboxMessage)
        .where(_held(message_id, token))
        .values(
            status=OutboxStatus.DEAD.value,
            lease_until=None,
            last_error="gave up: the worker stopped while sending the last attempt",
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return buried.rowcount == 1


def _finish(message_id: int, token: str, **values) -> bool:
    """Record the outcome of a send, unless another worker has taken the message over meanwhile."""
    done = db.session.execute(
        update(OutboxMessage)
        .where(_held(message_id, token))
        .values(lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return done.rowcount == 1


def deliver_claimed(ids: list[int], token: str, transport: Transport) -> DeliveryReport:
    """Send the messages this pass claimed with `token`; failures are rescheduled with backoff."""
    report = DeliveryReport()
    max_attempts = current_app.config["OUTBOX_MAX_ATTEMPTS"]
    for message_id in ids:
        message = _start_attempt(message_id, token, max_attempts)
        if message is None:
            if _bury_exhausted(message_id, token):
                report.dead += 1
                log.error("giving up on outbox message %s: the worker stopped while sending it", message_id)
            continue
        try:
            transport.send(message)
        except Exception as exc:  # noqa: BLE001  any failure, even a malformed message, counts as an attempt
            transport.close()
            error = f"{type(exc).__name__}: {exc}"[:1000]
            if message.attempts >= max_attempts:
                _finish(message_id, token, status=OutboxStatus.DEAD.value, last_error=error)
                report.dead += 1
                log.error("giving up on outbox message %s after %s attempts: %s", message_id, message.attempts, error)
            else:
                _finish(
                    message_id,
                    token,
                    status=OutboxStatus.PENDING.value,
                    last_error=error,
                    next_attempt_at=utcnow() + backoff(message.attempts),
                )
                report.failed += 1
                log.warning("outbox message %s not sent (attempt %s): %s", message_id, message.attempts, error)
        else:
            _finish(message_id, token, status=OutboxStatus.SENT.value, sent_at=utcnow(), last_error="")
            report.sent += 1
    return report


def deliver_once(limit: int = BATCH) -> DeliveryReport:
    """One pass: claim every due message (up to `limit`) and send it; failures are rescheduled."""
    transport = Transport.from_config(current_app.config)
    token = uuid.uuid4().hex
    try:
        return deliver_claimed(claim(limit, token=token), token, transport)
    finally:
        transport.close()


def work(interval: float = 2.0, stop_after: float | None = None, stop: threading.Event | None = None) -> None:
    """Deliver in a loop until `stop` is set (or for `stop_after` seconds); a pass in progress finishes."""
    stop = stop or threading.Event()
    deadline = None if stop_after is None else time.monotonic() + stop_after
    while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
        try:
            report = deliver_once()
        except Exception:  # the database may be restarting: keep the worker alive and try again
            db.session.rollback()
            log.exception("outbox pass failed")
            report = DeliveryReport()
        if report.sent or report.failed or report.dead:
            log.info("outbox: sent %s, retry later %s, gave up %s", report.sent, report.failed, report.dead)
        if not report.sent:
            pause = interval if deadline is None else min(interval, deadline - time.monotonic())
            if pause > 0:
                stop.wait(pause)
