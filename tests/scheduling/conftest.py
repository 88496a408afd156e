"""A position with a recruiter, an interviewer pool for both on-site rounds, and everyone's week."""

from __future__ import annotations

import http.server
import importlib.util
import os
import socket
import subprocess
import sys
import threading
import time as time_module
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from portal.accounts.models import User
from portal.hiring.models import Position
from portal.hiring.services import set_qualifications
from portal.scheduling import staff

# A Monday morning a few weeks ahead (so the interviews booked are in the future for the real clock
# too, which decides what "future interviews" are); staff keep no public holidays unless a test says so.
_today = datetime.now(timezone.utc).date() + timedelta(days=21)
NOW = datetime.combine(_today - timedelta(days=_today.weekday()), time(6, 0), tzinfo=timezone.utc)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def at(weekday: int, hour: int, minute: int = 0) -> datetime:
    """A time in Amsterdam in the week of NOW (weekday 1 = that Monday, 6 = Saturday), as a UTC instant."""
    day = NOW.date() + timedelta(days=weekday - 1)
    return datetime.combine(day, time(hour, minute), tzinfo=AMSTERDAM).astimezone(timezone.utc)


NINE_TO_FIVE = [(day, 9 * 60, 17 * 60) for day in range(5)]
ROUND_ONE_KINDS = ["coding", "whiteboarding", "data_structures", "system_design"]


@dataclass
class Team:
    position: Position
    recruiter: User
    engineers: list[User]
    hr: User
    manager: User


@pytest.fixture
def team(app, factory) -> Team:
    app.config["SCHEDULING_DEFAULT_COUNTRY"] = ""
    recruiter = factory.staff("recruiter", email="rita@staff.example", name="Rita Recruiter")
    recruiter.timezone = "Europe/Amsterdam"
    manager = factory.staff("hiring_manager", email="max@staff.example", name="Max Manager")
    position = factory.position(recruiter, hiring_manager_id=manager.id)
    engineers = [factory.staff("interviewer", email=f"eng{i}@staff.example", name=f"Engineer {i}") for i in range(1, 6)]
    hr = factory.staff("hr", email="hana@staff.example", name="Hana HR")
    everyone = [recruiter, manager, hr, *engineers]
    for person in everyone:
        person.timezone = person.timezone if person is recruiter else "Europe/Amsterdam"
        staff.set_weekly_windows(recruiter, person, NINE_TO_FIVE)
    for engineer in engineers:
        set_qualifications(recruiter, engineer, ROUND_ONE_KINDS + ["live_technical", "engineering_manager"])
        staff.set_pool_kinds(recruiter, position, engineer, ROUND_ONE_KINDS + ["live_technical", "engineering_manager"])
    set_qualifications(recruiter, hr, ["hr_behavioural", "hr_culture"])
    staff.set_pool_kinds(recruiter, position, hr, ["hr_behavioural", "hr_culture"])
    return Team(position, recruiter, engineers, hr, manager)


# --- a real CalDAV server --------------------------------------------------------------------------

RADICALE_USER, RADICALE_PASSWORD = "ines", "radicale-test-password"
READY_TIMEOUT = 30


@dataclass
class Radicale:
    url: str
    username: str = RADICALE_USER
    password: str = RADICALE_PASSWORD

    def client(self):
        import caldav

        return caldav.DAVClient(url=self.url, username=self.username, password=self.password, enable_rfc6764=False)

    def new_calendar(self, name: str):
        """A fresh calendar in the test account (each test writes its own)."""
        with self.client() as client:
            return client.principal().make_calendar(name=name, cal_id=f"{name}-{uuid.uuid4().hex[:8]}")


def _radicale_missing(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CalDAV tests cannot run on CI: {reason}", pytrace=False)
    pytest.skip(f"CalDAV tests skipped: {reason}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def radicale(tmp_path_factory) -> Radicale:
    """Radicale (from PyPI) on 127.0.0.1 with one account (htpasswd, plain), started once per session."""
    if importlib.util.find_spec("radicale") is None or importlib.util.find_spec("caldav") is None:
        _radicale_missing("radicale or caldav is not installed (pip install -e '.[test]')")
    root = tmp_path_factory.mktemp("radicale")
    (root / "users").write_text(f"{RADICALE_USER}:{RADICALE_PASSWORD}\n")
    # Radicale takes no port 0: a free port is chosen here, and another one tried if it was taken meanwhile.
    for _ in range(5):
        port = _free_port()
        (root / "config").write_text(
            f"[server]\nhosts = 127.0.0.1:{port}\n"
            f"[auth]\ntype = htpasswd\nhtpasswd_filename = {root / 'users'}\nhtpasswd_encryption = plain\ndelay = 0\n"
            "[rights]\ntype = owner_only\n"
            f"[storage]\nfilesystem_folder = {root / 'collections'}\n"
            "[logging]\nlevel = info\nmask_passwords = True\n"
        )
        log_path = root / "radicale.log"
        with open(log_path, "wb") as log:
            # stdin stays open as a lifeline, as for the OpenID Connect provider.
            process = subprocess.Popen(
                [sys.executable, "-m", "radicale", "--config", str(root / "config")],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if _radicale_ready(process, log_path):
            break
        _stop(process)
    else:
        pytest.fail(f"Radicale did not start:\n{log_path.read_text(errors='replace')}", pytrace=False)
    try:
        yield Radicale(url=f"http://127.0.0.1:{port}/")
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdin.close()


def _radicale_ready(process: subprocess.Popen, log_path) -> bool:
    deadline = time_module.monotonic() + READY_TIMEOUT
    while time_module.monotonic() < deadline:
        if "Radicale server ready" in log_path.read_text(errors="replace"):
            return True
        if process.poll() is not None:
            return False
        time_module.sleep(0.05)
    return False


# --- a calendar feed on 127.0.0.1 ------------------------------------------------------------------


@dataclass
class FeedServer:
    """A loopback HTTP server: path -> (status, body, headers); every request is counted."""

    port: int
    routes: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def feed_server():
    routes: dict = {}
    seen: list = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            # Read what a PROPFIND or REPORT sends: a body left unread makes the close a reset.
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, body, headers = routes.get(self.path, (404, b"not found", {}))
            self.send_response(status)
            chunked = headers.pop("chunked", False) if isinstance(headers, dict) else False
            for name, value in headers.items():
                self.send_header(name, value)
            if chunked:
                # No Content-Length: the size is only known by reading, chunk after chunk.
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for start in range(0, len(body), 16384):
                    piece = body[start : start + 16384]
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
                return
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_PROPFIND = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.protocol_version = "HTTP/1.1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FeedServer(server.server_address[1], routes, seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
