"""A real SMTP server (aiosmtpd) on loopback for the mail tests, and a clock the worker reads.

In this folder the `app` fixture (and so `client` and `factory`) sends mail to that server.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from portal.timeutil import utcnow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Collector:
    """aiosmtpd handler: keep every message it accepts, with its envelope."""

    def __init__(self, sink: SMTPServer):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.sink.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.sink._received(message, envelope.content, envelope.mail_from, list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class SMTPServer:
    """An SMTP server on 127.0.0.1 that can be stopped and started again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.messages: list[email.message.EmailMessage] = []
        self.raw: list[bytes] = []  # as it came over the wire, headers exactly as written
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: set[str] = set()  # recipients answered with 550
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def _received(self, message, raw, mail_from, rcpt_tos) -> None:
        with self._lock:
            self.messages.append(message)
            self.raw.append(raw)
            self.envelopes.append((mail_from, rcpt_tos))

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        assert self._controller is None
        controller = Controller(_Collector(self), hostname="127.0.0.1", port=self.port)
        for _ in range(50):  # the port of a server just stopped can take a moment to free up
            try:
                controller.start()
                break
            except OSError:
                time.sleep(0.05)
        else:
            controller.start()
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller.loop.close()
            self._controller = None

    def message_ids(self) -> list[str]:
        with self._lock:
            return [m["Message-ID"] for m in self.messages]

    def received(self) -> list:
        """What the server has accepted so far.

        An SMTP client's send returns only after the server answered the DATA with 250, and this
        server records the message before answering: once a delivery pass has returned, everything
        it sent is here, and anything sent twice would be here twice. No waiting is needed.
        """
        with self._lock:
            return list(self.messages)

    def wait_for(self, count: int, timeout: float = 5.0) -> list:
        """The messages received, once there are at least `count`: only for a worker running in
        another thread, whose passes the test does not wait for."""
        end = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < end:
            time.sleep(0.01)
        return self.received()


@pytest.fixture
def smtp():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app(make_app, smtp):
    """The app of this folder: mail goes to the loopback SMTP server."""
    app = make_app(MAIL_URL=smtp.url)
    with app.app_context():
        yield app


class Clock:
    """The worker's idea of now, moved forward instead of sleeping through backoff and leases."""

    def __init__(self):
        self.offset = timedelta()

    def now(self):
        return utcnow() + self.offset

    def advance(self, **delta) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    from portal.notifications import worker

    clock = Clock()
    monkeypatch.setattr(worker, "utcnow", clock.now)
    return clock
