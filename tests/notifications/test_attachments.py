"""Attachments travel with their outbox message: stored in the same transaction, and received over
real SMTP as the parts calendar clients and mail readers expect (RFC 6047 for invitations)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.notifications.models import OutboxAttachment, OutboxStatus
from portal.notifications.services import Attachment, queue_mail
from portal.notifications.worker import deliver_once
from portal.unit_of_work import transaction
from tests.helpers import outbox

# CRLF line ends and a non-ASCII summary, as an iCalendar writer produces them (RFC 5545).
INVITE = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Candor//Interviews//EN\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nUID:interview-17@candor.localhost\r\nSEQUENCE:0\r\nDTSTAMP:20261201T120000Z\r\n"
    "DTSTART:20261208T010000Z\r\nDTEND:20261208T014500Z\r\nSUMMARY:Technical screen – Zoë's café app\r\n"
    "ORGANIZER:mailto:no-reply@candor.localhost\r\nATTENDEE;RSVP=TRUE:mailto:cand@example.com\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)
CANCEL = INVITE.replace("METHOD:REQUEST", "METHOD:CANCEL").replace("SEQUENCE:0", "SEQUENCE:1")


def _only_mail_to(user, smtp):
    """Deliver everything due and return the one message `user` received."""
    db.session.commit()
    deliver_once()
    mine = [m for m in smtp.received() if m["To"] == user.email and m["Subject"] == "Your password was changed"]
    assert len(mine) == 1, [m["Subject"] for m in smtp.received()]
    return mine[0]


def _calendar_parts(message) -> list:
    return [part for part in message.walk() if part.get_content_type() == "text/calendar"]


def test_an_interview_invite_arrives_as_an_icalendar_part_that_calendar_clients_recognise(app, factory, smtp):
    candidate = factory.candidate(email="cand@example.com")
    queue_mail(candidate, "password_changed", user=candidate, attachments=[Attachment.calendar(INVITE)])

    received = _only_mail_to(candidate, smtp)

    # Google Calendar, Outlook and Apple Mail look for the invitation beside the text and HTML.
    assert received.get_content_type() == "multipart/mixed"
    body, *files = received.iter_parts()
    assert [p.get_content_type() for p in body.iter_parts()] == ["text/plain", "text/html", "text/calendar"]
    [invite] = _calendar_parts(received)
    assert invite.get_param("method") == "REQUEST"
    assert invite.get_content_charset() == "utf-8"
    assert invite.get_content_disposition() is None, "inline, where clients process iMIP"
    assert invite.get_payload(decode=True) == INVITE.encode("utf-8"), "byte for byte, CRLF line ends kept"
    raw = smtp.raw[-1]
    assert b"\r\nContent-Type: text/calendar; method=REQUEST; charset=UTF-8\r\n" in raw

    # ... and offered as an .ics file, which no client reads as a second invitation.
    [ics] = files
    assert (ics.get_filename(), ics.get_content_type(), ics.get_content_disposition()) == (
        "invite.ics",
        "application/ics",
        "attachment",
    )
    assert ics.get_content() == INVITE.encode("utf-8")
    text = received.get_body(preferencelist=("plain",)).get_content()
    assert "password of your Candor account was just changed" in text


def test_a_cancelled_interview_sends_a_cancel_invitation(app, factory, smtp):
    candidate = factory.candidate(email="cand@example.com")
    queue_mail(
        candidate,
        "password_changed",
        user=candidate,
        attachments=[Attachment.calendar(CANCEL, method="cancel", filename="cancel.ics")],
    )

    received = _only_mail_to(candidate, smtp)

    [invite] = _calendar_parts(received)
    assert invite.get_param("method") == "CANCEL"
    assert invite.get_payload(decode=True) == CANCEL.encode("utf-8")
    assert b"Content-Type: text/calendar; method=CANCEL; charset=UTF-8\r\n" in smtp.raw[-1]
    assert [a.get_filename() for a in received.iter_attachments()] == ["cancel.ics"]


def test_other_attachments_arrive_as_files_with_their_name_type_and_bytes(app, factory, smtp):
    candidate = factory.candidate(email="cand@example.com")
    receipt = "Submission receipt\nsolution.zip  sha256 9f86d081884c7d65\nAbgabe für Zoë\n"
    pdf = b"%PDF-1.4\n\x00\xff\xfe binary\r\n%%EOF"
    queue_mail(
        candidate,
        "password_changed",
        user=candidate,
        attachments=[
            Attachment("receipt.txt", "text/plain", receipt),
            Attachment("brief.pdf", "application/pdf", pdf),
        ],
    )

    received = _only_mail_to(candidate, smtp)

    files = {a.get_filename(): a for a in received.iter_attachments()}
    assert list(files) == ["receipt.txt", "brief.pdf"]
    assert files["receipt.txt"].get_content_type() == "text/plain"
    assert files["receipt.txt"].get_content() == receipt
    assert files["brief.pdf"].get_content_type() == "application/pdf"
    assert files["brief.pdf"].get_content() == pdf
    assert _calendar_parts(received) == []
    assert received.get_body(preferencelist=("html",)) is not None


def test_attachments_are_stored_with_their_message_in_the_same_transaction(app, factory):
    candidate = factory.candidate()

    with transaction():
        message = queue_mail(
            candidate,
            "password_changed",
            user=candidate,
            attachments=[Attachment.calendar(INVITE), Attachment("notes.txt", "text/plain", "hi")],
        )

    db.session.expire_all()
    stored = db.session.scalars(
        select(OutboxAttachment)
        .where(OutboxAttachment.outbox_message_id == message.id)
        .order_by(OutboxAttachment.position)
    ).all()
    assert [(a.filename, a.content_type, a.content) for a in stored] == [
        ("invite.ics", "text/calendar; method=REQUEST; charset=UTF-8", INVITE.encode("utf-8")),
        ("notes.txt", "text/plain; charset=UTF-8", b"hi"),
    ]


def test_a_change_that_fails_after_queuing_leaves_neither_the_mail_nor_its_attachments(app, factory):
    candidate = factory.candidate()
    messages_before = len(outbox())

    with pytest.raises(RuntimeError), transaction():
        queue_mail(candidate, "password_changed", user=candidate, attachments=[Attachment.calendar(INVITE)])
        assert db.session.scalar(select(func.count()).select_from(OutboxAttachment)) == 1
        raise RuntimeError("the booking failed after the invitation was queued")

    assert len(outbox()) == messages_before
    assert db.session.scalar(select(func.count()).select_from(OutboxAttachment)) == 0


def test_an_invite_is_resent_with_its_attachment_after_the_server_was_down(app, factory, smtp, clock):
    candidate = factory.candidate(email="cand@example.com")
    smtp.stop()
    queue_mail(candidate, "password_changed", user=candidate, attachments=[Attachment.calendar(INVITE)])
    db.session.commit()
    assert deliver_once().failed == 2  # the sign-up's verification mail too

    smtp.start()
    clock.advance(minutes=5)
    assert deliver_once().sent == 2

    [received] = [m for m in smtp.received() if m["Subject"] == "Your password was changed"]
    [invite] = _calendar_parts(received)
    assert invite.get_payload(decode=True) == INVITE.encode("utf-8")
    assert {m.status for m in outbox()} == {OutboxStatus.SENT.value}


@pytest.mark.parametrize(
    "attachment, reason",
    [
        (Attachment.calendar(INVITE, method="CANCEL"), "METHOD must be CANCEL"),
        (Attachment.calendar(INVITE, method="DELETE"), "unknown iTIP method"),
        (Attachment("invite.ics\r\nBcc: everyone@example.com", "text/plain", "x"), "one line"),
        (Attachment("notes.txt", "text/plain\r\nBcc: everyone@example.com", "x"), "one line"),
        (Attachment("../../etc/passwd", "text/plain", "x"), "plain file name"),
        (Attachment("notes.txt", "not a type", "x"), "not a content type"),
    ],
)
def test_an_attachment_no_client_could_read_as_meant_is_refused_when_queued(app, factory, attachment, reason):
    candidate = factory.candidate()
    messages_before = len(outbox())

    with pytest.raises(ValueError, match=reason), transaction():
        queue_mail(candidate, "password_changed", user=candidate, attachments=[attachment])

    assert len(outbox()) == messages_before
