"""A real OpenID Connect provider (oidc-provider on Node) on 127.0.0.1, started once per test session.

Without Node or the npm package the sign-in tests are skipped locally, with the reason shown, and
fail in CI (CI=true), where a silent skip would hide that sign-in went untested.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from portal.accounts import services as accounts
from portal.timeutil import utcnow

SUPPORT = Path(__file__).resolve().parent.parent / "support"
SCRIPT = SUPPORT / "oidc_provider.mjs"
PACKAGE = SUPPORT / "node_modules" / "oidc-provider" / "package.json"

CLIENT_ID = "candor-tests"
CLIENT_SECRET = "candor-tests-secret"
BASE_URL = "http://127.0.0.1:5000"  # tests/conftest.py's BASE_URL
CALLBACK_PATH = "/auth/oidc/oidc/callback"

# login_hint -> the person at the provider. Account ids are the subjects ("sub").
ACCOUNTS = {
    "vera": {"email": "vera@example.com", "email_verified": True, "name": "Vera Verified"},
    "ursula": {"email": "ursula@example.com", "email_verified": False, "name": "Ursula Unverified"},
    # Same address as a password account in a test, written differently: addresses compare normalised.
    "casey": {"email": "Casey@Example.com", "email_verified": True, "name": "Casey at the IdP"},
    "mallory": {"email": "mallory@example.com", "email_verified": True, "name": "Mallory"},
    # A Cyrillic "а": looks like nadia@example.com, but our mail cannot reach a non-ASCII local part.
    "nadia": {"email": "n\u0430dia@example.com", "email_verified": True, "name": "Nadia"},
    # A name that would hide text and turn it around.
    "rtl": {"email": "rtl@example.com", "email_verified": True, "name": "\u202egro.live\u200b"},
}
READY_TIMEOUT = 20


@dataclass
class OIDCProviderProcess:
    issuer: str
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    accounts: dict = field(default_factory=lambda: ACCOUNTS)

    def env(self) -> dict[str, str]:
        """The environment that portal.config.oidc_providers() reads."""
        return {
            "OIDC_ISSUER": self.issuer,
            "OIDC_CLIENT_ID": self.client_id,
            "OIDC_CLIENT_SECRET": self.client_secret,
            "OIDC_LABEL": "Test SSO",
        }


def _missing(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"OpenID Connect tests cannot run: {reason}", pytrace=False)
    pytest.skip(f"OpenID Connect tests skipped: {reason}")


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> OIDCProviderProcess:
    node = shutil.which("node")
    if node is None:
        _missing("`node` is not on PATH")
    if not PACKAGE.exists():
        _missing(f"{PACKAGE.parent} is missing (run `npm ci` in {SUPPORT})")

    log_path = tmp_path_factory.mktemp("oidc") / "provider.log"
    env = {
        **os.environ,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_REDIRECT_URIS": BASE_URL + CALLBACK_PATH,
        "OIDC_ACCOUNTS": json.dumps(ACCOUNTS),
        "OIDC_DEFAULT_ACCOUNT": "vera",
    }
    with open(log_path, "wb") as log:
        # Port 0: the provider binds a free port itself and reports it, so no port can be taken in between.
        # stdin stays open as a lifeline: if this process dies, the provider sees EOF and exits.
        process = subprocess.Popen(
            [node, str(SCRIPT), "--port", "0"],
            cwd=SUPPORT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
        )
    try:
        issuer = _wait_ready(process, log_path)
        yield OIDCProviderProcess(issuer=issuer)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout):
            stream.close()


def _wait_ready(process: subprocess.Popen, log_path: Path) -> str:
    deadline = time.monotonic() + READY_TIMEOUT
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=deadline - time.monotonic()):
                break
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                break  # the provider exited
            buffer += chunk
            for line in buffer.decode(errors="replace").splitlines():
                if line.startswith("READY "):
                    return line.split(None, 1)[1].strip()
    process.kill()
    process.wait()
    pytest.fail(
        f"the OpenID Connect provider did not start (exit {process.returncode}):\n"
        f"{buffer.decode(errors='replace')}{log_path.read_text(errors='replace')}",
        pytrace=False,
    )


@pytest.fixture
def new_browser(app):
    """Another browser (its own cookies) on the same app."""
    return lambda: app.test_client()


@pytest.fixture
def clock(monkeypatch):
    """Moves the clock the token checks read, to reach an expiry without waiting for it."""

    class Clock:
        offset = timedelta(0)

        def now(self):
            return utcnow() + self.offset

        def advance(self, **delta) -> None:
            self.offset += timedelta(**delta)

    moved = Clock()
    monkeypatch.setattr(accounts, "utcnow", moved.now)
    return moved
