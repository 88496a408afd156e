"""Outbox delivery: claim due messages, send them over SMTP, retry with backoff.

Several workers may run at once: on PostgreSQL a claim takes rows with FOR UPDATE SKIP LOCKED
and marks them as leased, so no two workers send the same message. A worker that dies while
holding a lease leaves the rows to be claimed again when it expires (at least once).
"""
from __future__ import annotations

import logging
import smtplib
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import or_, select, update

from portal.extensions import db
from portal.notifications.models import OutboxMessage, OutboxStatus
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

    def __init__(self, url: str, sender: str):
        self.url = url
        self.sender = sender
        self._smtp: smtplib.SMTP | None = None

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
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to_addr
        email["Subject"] = message.subject
        email["Message-ID"] = message.message_id
        email["Date"] = formatdate(message.created_at.timestamp(), localtime=False)
        email.set_content(message.body_text)
        if message.body_html:
            email.add_alternative(message.body_html, subtype="html")
        if not self.url:
            log.info("mail (no MAIL_URL set, logged instead) to=%s subject=%s\n%s",
                     message.to_addr, message.subject, message.body_text)
            return
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(email)
        except smtplib.SMTPServerDisconnected:
            self._smtp = self._connect()
            self._smtp.send_message(email)

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None


def claim(limit: int = BATCH) -> list[int]:
    """Lease up to `limit` due messages to this worker pass and commit the lease."""
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
    token = uuid.uuid4().hex
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), is_due)
        .values(status=OutboxStatus.SENDING.value, lease_until=now + LEASE, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return list(db.session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.claim_token == token).order_by(OutboxMessage.id)
    ))


def deliver_once(limit: int = BATCH) -> DeliveryReport:
    """One pass: send every due message (up to `limit`); failures are rescheduled."""
    report = DeliveryReport()
    transport = Transport(current_app.config["MAIL_URL"], current_app.config["MAIL_FROM"])
    max_attempts = current_app.config["OUTBOX_MAX_ATTEMPTS"]
    try:
        for message_id in claim(limit):
            message = db.session.get(OutboxMessage, message_id, populate_existing=True)
            if message is None or message.status != OutboxStatus.SENDING.value:
                continue
            message.attempts += 1
            try:
                transport.send(message)
            except (smtplib.SMTPException, OSError) as exc:
                transport.close()
                message.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                message.lease_until = None
                if message.attempts >= max_attempts:
                    message.status = OutboxStatus.DEAD.value
                    report.dead += 1
                    log.error("giving up on outbox message %s after %s attempts: %s",
                              message.id, message.attempts, message.last_error)
                else:
                    message.status = OutboxStatus.PENDING.value
                    message.next_attempt_at = utcnow() + backoff(message.attempts)
                    report.failed += 1
                    log.warning("outbox message %s not sent (attempt %s): %s",
                                message.id, message.attempts, message.last_error)
            else:
                message.status = OutboxStatus.SENT.value
                message.sent_at = utcnow()
                message.lease_until = None
                message.last_error = ""
                report.sent += 1
            db.session.commit()
    finally:
        transport.close()
    return report


def work(interval: float = 2.0, stop_after: float | None = None) -> None:
    """Deliver in a loop until interrupted (or for `stop_after` seconds)."""
    started = time.monotonic()
    while stop_after is None or time.monotonic() - started < stop_after:
        try:
            report = deliver_once()
        except Exception:  # the database may be restarting: keep the worker alive and try again
            db.session.rollback()
            log.exception("outbox pass failed")
            report = DeliveryReport()
        if report.sent or report.failed or report.dead:
            log.info("outbox: sent %s, retry later %s, gave up %s", report.sent, report.failed, report.dead)
        if not report.sent:
            time.sleep(interval)
