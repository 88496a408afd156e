"""The worker delivers the outbox over real SMTP (aiosmtpd on loopback): at least once, never twice
in normal operation, with retries and backoff while the server is away."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

from sqlalchemy import update

from portal.accounts import services as accounts
from portal.extensions import db
from portal.notifications.models import OutboxMessage, OutboxStatus
from portal.notifications.services import queue_mail
from portal.notifications.worker import LEASE, Transport, claim, deliver_claimed, deliver_once, work
from tests.helpers import PASSWORD, login, outbox

BASE_URL = "http://127.0.0.1:5000"


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def _link(message, path_prefix: str) -> str:
    """The absolute link to `path_prefix` in the received text part."""
    match = re.search(r"(https?://\S+?" + re.escape(path_prefix) + r"\S*)", _text(message))
    assert match, f"no {path_prefix} link in: {_text(message)}"
    return match.group(1)


def _reload(message: OutboxMessage) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message.id)


# --- what arrives ---------------------------------------------------------------------------


def test_delivered_mail_reaches_the_recipient_with_subject_message_id_and_both_parts(app, factory, smtp):
    user = factory.candidate(email="reader@example.com", verified=False)
    [queued] = outbox("verify_email")

    report = deliver_once()

    assert (report.sent, report.failed, report.dead) == (1, 0, 0)
    [received] = smtp.received()
    assert smtp.envelopes == [("no-reply@candor.localhost", ["reader@example.com"])]
    assert received["To"] == user.email
    assert received["From"] == app.config["MAIL_FROM"]
    assert received["Subject"] == "Confirm your email address"
    assert received["Message-ID"] == queued.message_id
    assert received["Date"]
    assert received.get_content_type() == "multipart/alternative"
    assert "Please confirm your email address" in _text(received)
    assert "Please confirm your email address" in _html(received)
    sent = _reload(queued)
    assert sent.status == OutboxStatus.SENT.value and sent.attempts == 1 and sent.sent_at is not None


def test_the_verification_link_in_the_mail_is_absolute_and_verifies_the_account(app, factory, client, smtp):
    user = factory.candidate(verified=False)
    deliver_once()
    [received] = smtp.received()

    link = _link(received, "/auth/verify/")
    assert link.startswith(BASE_URL + "/auth/verify/")
    assert f'href="{link}"' in _html(received), "the HTML part links to the same place"

    path = link[len(BASE_URL) :]
    assert client.get(path).status_code == 200  # the confirm page; opening it changes nothing
    response = client.post(path, data={"password": PASSWORD})

    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email_verified_at is not None


def test_the_reset_link_in_the_mail_lets_the_user_choose_a_new_password(app, factory, client, smtp):
    user = factory.candidate()
    accounts.request_password_reset(user.email)
    deliver_once()
    [received] = [m for m in smtp.received() if m["Subject"] == "Choose a new password"]
    path = _link(received, "/auth/reset/")[len(BASE_URL) :]

    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": "a brand new password", "confirm": "a brand new password"})

    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert accounts.authenticate(user.email, "a brand new password") is not None
    deliver_once()
    assert [m["Subject"] for m in smtp.received()][2:] == ["Your password was changed"]


def test_the_invitation_link_in_the_mail_lets_the_candidate_set_a_password(app, factory, client, smtp):
    accounts.invite_candidate(factory.staff("recruiter"), name="Ivy", email="ivy@example.com")
    deliver_once()
    [received] = smtp.received()
    path = _link(received, "/auth/invite/")[len(BASE_URL) :]

    response = client.post(path, data={"password": "my own long password", "confirm": "my own long password"})

    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert accounts.authenticate("ivy@example.com", "my own long password") is not None


def test_the_application_link_in_the_mail_opens_the_candidates_application(app, factory, client, smtp):
    candidate = factory.candidate()
    application = factory.application(candidate)
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.kind != "application_received").values(status=OutboxStatus.SENT.value)
    )
    db.session.commit()
    deliver_once()
    [received] = smtp.received()
    path = _link(received, f"/applications/{application.id}")[len(BASE_URL) :]

    login(client, candidate, PASSWORD)
    page = client.get(path)

    assert page.status_code == 200
    assert "Backend Engineer" in page.get_data(as_text=True)


# --- the server is away -----------------------------------------------------------------------


def test_mail_promised_while_the_server_is_down_is_sent_exactly_once_when_it_is_back(app, factory, smtp, clock):
    smtp.stop()
    factory.candidate(verified=False)  # the sign-up commits while the server is down
    [queued] = outbox("verify_email")

    failed_at = clock.now()
    report = deliver_once()

    assert (report.sent, report.failed) == (0, 1)
    waiting = _reload(queued)
    assert waiting.status == OutboxStatus.PENDING.value
    assert waiting.attempts == 1
    assert "Connection refused" in waiting.last_error or "ConnectionRefused" in waiting.last_error
    assert timedelta(seconds=9) < waiting.next_attempt_at - failed_at < timedelta(seconds=15)

    smtp.start()
    assert deliver_once().sent == 0, "not before its backoff has passed"
    assert smtp.messages == []

    clock.advance(seconds=11)
    assert deliver_once().sent == 1
    clock.advance(hours=3)
    assert deliver_once().sent == 0

    assert smtp.message_ids() == [queued.message_id], "sent once, after the server came back"
    sent = _reload(queued)
    assert (sent.status, sent.attempts, sent.last_error) == (OutboxStatus.SENT.value, 2, "")


def test_the_wait_between_attempts_doubles(app, factory, smtp, clock):
    smtp.stop()
    factory.candidate(verified=False)
    [queued] = outbox()

    waits = []
    for _ in range(3):
        failed_at = clock.now()
        assert deliver_once().failed == 1
        waits.append((_reload(queued).next_attempt_at - failed_at).total_seconds())
        clock.advance(hours=1)

    # The clock runs on while the failed attempt is made: allow a few seconds on a loaded machine.
    for wait, expected in zip(waits, [10, 20, 40]):
        assert expected <= wait < expected + 5, waits
    assert _reload(queued).attempts == 3


def test_after_the_last_attempt_a_message_is_dead_and_never_retried(app, factory, smtp, clock):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 3
    smtp.stop()
    factory.candidate(verified=False)
    [queued] = outbox()

    reports = []
    for _ in range(3):
        reports.append(deliver_once())
        clock.advance(hours=2)

    assert [(r.failed, r.dead) for r in reports] == [(1, 0), (1, 0), (0, 1)]
    dead = _reload(queued)
    assert dead.status == OutboxStatus.DEAD.value and dead.attempts == 3 and dead.last_error

    smtp.start()
    clock.advance(days=2)
    assert deliver_once().sent == 0
    assert _reload(queued).status == OutboxStatus.DEAD.value
    assert smtp.messages == []


def test_a_recipient_the_server_refuses_is_retried_and_the_rest_are_still_sent(app, factory, smtp):
    smtp.refuse.add("bounced@example.com")
    factory.candidate(email="bounced@example.com", verified=False)
    factory.candidate(email="fine@example.com", verified=False)

    report = deliver_once()

    assert (report.sent, report.failed) == (1, 1)
    assert [m["To"] for m in smtp.received()] == ["fine@example.com"]
    bounced = next(m for m in outbox() if m.to_addr == "bounced@example.com")
    assert bounced.status == OutboxStatus.PENDING.value and "550" in bounced.last_error


def test_a_malformed_message_is_counted_as_a_failed_attempt_and_does_not_block_the_others(app, factory, smtp):
    user = factory.candidate(verified=False)
    broken = queue_mail(user.email, "password_changed", user=user)
    broken.to_addr = "someone@example.com\r\nBcc: everyone@example.com"  # a header cannot carry this
    db.session.commit()

    report = deliver_once()

    assert (report.sent, report.failed) == (1, 1)
    assert [m["Subject"] for m in smtp.received()] == ["Confirm your email address"]
    failed = _reload(broken)
    assert failed.status == OutboxStatus.PENDING.value and failed.attempts == 1 and failed.last_error


# --- once, and only once ----------------------------------------------------------------------


def test_a_message_already_sent_is_never_sent_again(app, factory, smtp, clock):
    factory.candidate(verified=False)
    [queued] = outbox()
    assert deliver_once().sent == 1

    for delta in (timedelta(0), LEASE * 2, timedelta(days=30)):
        clock.advance(seconds=delta.total_seconds())
        assert deliver_once().sent == 0

    assert smtp.message_ids() == [queued.message_id]
    sent = _reload(queued)
    assert (sent.status, sent.attempts) == (OutboxStatus.SENT.value, 1), "no pass even tried it again"


def test_a_message_whose_worker_died_is_claimed_again_when_the_lease_expires(app, factory, smtp, clock):
    factory.candidate(verified=False)
    [queued] = outbox()
    assert claim() == [queued.id]  # a worker claims it, then dies before sending

    assert deliver_once().sent == 0, "the lease still holds"
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert deliver_once().sent == 1

    assert smtp.message_ids() == [queued.message_id]
    assert _reload(queued).status == OutboxStatus.SENT.value


def test_a_worker_that_lost_its_lease_does_not_send_the_message_again(app, factory, smtp, clock):
    factory.candidate(verified=False)
    [queued] = outbox()
    slow_pass = claim(token="slow-pass")  # a pass that stalls before sending ...
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert deliver_once().sent == 1  # ... while another worker takes over and sends

    transport = Transport(app.config["MAIL_URL"], app.config["MAIL_FROM"])
    try:
        late = deliver_claimed(slow_pass, "slow-pass", transport)  # the stalled pass resumes
    finally:
        transport.close()

    assert slow_pass == [queued.id], "the stalled pass did hold the message"
    assert (late.sent, late.failed, late.dead) == (0, 0, 0)
    assert smtp.message_ids() == [queued.message_id]
    sent = _reload(queued)
    assert (sent.status, sent.attempts) == (OutboxStatus.SENT.value, 1), "the stalled pass did not try it"


def test_a_message_that_kept_killing_the_worker_ends_dead_instead_of_looping(app, factory, smtp, clock):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    factory.candidate(verified=False)
    [queued] = outbox()
    for _ in range(2):  # each time a worker claims it, counts the attempt and dies while sending
        assert claim(token="doomed") == [queued.id]
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == queued.id).values(attempts=OutboxMessage.attempts + 1)
        )
        db.session.commit()
        clock.advance(seconds=LEASE.total_seconds() + 1)

    report = deliver_once()

    assert (report.sent, report.dead) == (0, 1)

    dead = _reload(queued)
    assert dead.status == OutboxStatus.DEAD.value and "worker stopped" in dead.last_error
    assert smtp.messages == []


# --- running the worker ---------------------------------------------------------------------------


def test_flask_outbox_deliver_sends_what_is_due(app, factory, smtp):
    factory.candidate(verified=False)
    factory.candidate(verified=False)

    result = app.test_cli_runner().invoke(args=["outbox", "deliver"])

    assert result.exit_code == 0, result.output
    assert "sent 2, to retry 0, gave up 0" in result.output
    assert sorted(smtp.message_ids()) == sorted(m.message_id for m in outbox())
    assert {m.status for m in outbox()} == {OutboxStatus.SENT.value}


def test_flask_outbox_deliver_reports_what_waits_for_a_retry(app, factory, smtp):
    smtp.stop()
    factory.candidate(verified=False)

    result = app.test_cli_runner().invoke(args=["outbox", "deliver"])

    assert result.exit_code == 0, result.output
    assert "sent 0, to retry 1, gave up 0" in result.output


def test_flask_outbox_work_delivers_until_it_is_told_to_stop(app, factory, smtp):
    factory.candidate(verified=False)

    started = time.monotonic()
    result = app.test_cli_runner().invoke(args=["outbox", "work", "--interval", "0.05", "--stop-after", "0.5"])

    assert result.exit_code == 0, result.output
    assert "outbox worker started" in result.output
    assert time.monotonic() - started < 5
    assert smtp.message_ids() == [m.message_id for m in outbox()]


def test_the_worker_loop_delivers_mail_queued_while_it_runs(app, factory, smtp):
    errors = []
    stop = threading.Event()

    def run_worker():
        try:
            with app.app_context():
                work(interval=0.05, stop_after=60, stop=stop)
                db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    worker = threading.Thread(target=run_worker)
    worker.start()
    try:
        time.sleep(0.2)
        factory.candidate(email="first@example.com", verified=False)
        assert len(smtp.wait_for(1, timeout=20)) == 1
        factory.candidate(email="second@example.com", verified=False)
        assert len(smtp.wait_for(2, timeout=20)) == 2
    finally:
        stop.set()
        worker.join(timeout=20)

    assert not worker.is_alive(), "work() stops when told to"
    assert errors == []
    assert [m["To"] for m in smtp.messages] == ["first@example.com", "second@example.com"]
    db.session.expire_all()
    assert {m.status for m in outbox()} == {OutboxStatus.SENT.value}
