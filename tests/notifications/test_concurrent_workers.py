"""Several outbox workers at once, each with its own session and connection: every message is
received exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.notifications.models import OutboxMessage, OutboxStatus
from portal.notifications.services import queue_mail
from portal.notifications.worker import deliver_once
from tests.conftest import is_postgres

MESSAGES = 100


def _unfinished() -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status.in_([OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]))
    )


def _run_workers(app, count: int) -> tuple[list[int], list[BaseException]]:
    """Start `count` workers together; each delivers in small batches until nothing is left."""
    start = threading.Barrier(count)
    sent = [0] * count
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            with app.app_context():
                start.wait(timeout=10)
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    report = deliver_once(limit=5)
                    sent[index] += report.sent
                    if not report.sent and _unfinished() == 0:
                        break
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001  reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return sent, errors


def _queue_many(factory) -> list[str]:
    user = factory.candidate()  # its verification mail is one more message
    for _ in range(MESSAGES):
        queue_mail(user.email, "password_changed", user=user)
    db.session.commit()
    return [m.message_id for m in db.session.scalars(select(OutboxMessage))]


def _assert_each_received_once(smtp, queued: list[str]) -> None:
    # Every worker thread has returned, and a send returns only once the server has the message:
    # whatever was sent, also sent twice, is in the server's list now.
    received = Counter(smtp.message_ids())
    assert set(received) == set(queued), "every message arrived"
    duplicates = {mid: n for mid, n in received.items() if n > 1}
    assert duplicates == {}, "no message arrived twice"
    db.session.expire_all()
    rows = db.session.execute(select(OutboxMessage.status, OutboxMessage.attempts)).all()
    assert sorted(rows) == [(OutboxStatus.SENT.value, 1)] * len(queued), "each was tried by one worker, once"


@pytest.mark.skipif(
    not is_postgres(),
    reason="needs PostgreSQL row locks (FOR UPDATE SKIP LOCKED) and "
    "real concurrent writers; set TEST_DATABASE_URL to run it",
)
def test_four_workers_on_postgresql_send_each_message_exactly_once(app, factory, smtp):
    queued = _queue_many(factory)

    sent, errors = _run_workers(app, 4)

    assert errors == []
    assert sum(sent) == len(queued)
    assert sum(1 for n in sent if n) >= 2, f"the workers shared the work: {sent}"
    _assert_each_received_once(smtp, queued)


def test_two_workers_send_each_message_exactly_once_also_on_sqlite(app, factory, smtp):
    # SQLite has no row locks: the claim's conditional update and its token keep two workers
    # from taking the same message.
    queued = _queue_many(factory)

    sent, errors = _run_workers(app, 2)

    assert errors == []
    assert sum(sent) == len(queued)
    _assert_each_received_once(smtp, queued)
