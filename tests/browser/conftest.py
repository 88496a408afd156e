"""Browser tests: the portal on a live server over the demo data, driven by Debian's chromium.

One chromium per session and one live server (with the demo data seeded once) for the whole
tests/browser package; the database is wiped again when the package is done, so the other
suites still start from an empty database. Without chromium, Playwright, axe-core, or the Nu
HTML checker and Java, the tests are skipped with the reason, except on CI (CI=true), where a
missing part fails the run.
"""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from portal import create_app
from portal.extensions import db
from tests.browser.support import CHROMIUM, launch_chromium, new_context
from tests.helpers import app_config, wipe_database

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "support" / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "tests" / "support" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def missing_part(reason: str):
    """Skip with a visible reason on a developer's machine; fail on CI, where nothing may be missing."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run on CI: {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass
class LiveServer:
    url: str
    app: Flask


@pytest.fixture(scope="session")
def playwright_session():
    if not CHROMIUM.exists():
        missing_part(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_part("Playwright for Python is not installed (pip install -e '.[test]')")
    playwright = sync_playwright().start()
    yield playwright
    playwright.stop()


@pytest.fixture(scope="session")
def browser(playwright_session):
    """One headless chromium for the whole run (Debian's, never a downloaded one)."""
    chromium = launch_chromium(playwright_session)
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        missing_part(f"axe-core not found at {AXE.relative_to(ROOT)} (make test-deps installs it with npm)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def vnu_command() -> list[str]:
    """How to start the W3C Nu HTML checker: vnu.jar from the npm registry, on Java 17 or later."""
    java = shutil.which("java")
    if java is None:
        missing_part("Java not found, which runs the Nu HTML checker (apt-get install default-jre-headless)")
    if not VNU.exists():
        missing_part(f"the Nu HTML checker not found at {VNU.relative_to(ROOT)} (make test-deps installs it with npm)")
    return [java, "-jar", str(VNU)]


@pytest.fixture(scope="package")
def live_server(_schema_app, database_url, tmp_path_factory):
    """The portal on 127.0.0.1 (a free port), in a thread, over a test database with the demo data."""
    config = app_config(database_url, tmp_path_factory.mktemp("browser-storage"))
    app = create_app(config)
    wipe_database(_schema_app)  # start from an empty database whatever ran before
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["BASE_URL"] = url = f"http://127.0.0.1:{server.server_port}"  # links in mail point here
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    try:
        with app.app_context():
            from portal import demo

            demo.seed()
            db.session.remove()
        thread.start()
        yield LiveServer(url=url, app=app)
    finally:
        if thread.is_alive():
            server.shutdown()
            thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        wipe_database(_schema_app)  # the other suites expect an empty database


@pytest.fixture(scope="package")
def ids(live_server):
    """The ids and one-time links that fill the paths of the page catalogue (tests/browser/pages.py)."""
    from tests.browser.pages import demo_ids, prepare_extra_pages

    with live_server.app.app_context():
        found = {**demo_ids(), **prepare_extra_pages()}
        db.session.remove()
    return found


@pytest.fixture
def context(browser, live_server):
    """A fresh browser context (its own cookies) for one test."""
    ctx = new_context(browser, live_server.url)
    yield ctx
    ctx.close()


@pytest.fixture
def new_browser_context(browser, live_server):
    """Make more contexts in one test, e.g. a candidate and a recruiter side by side."""
    made = []

    def factory(viewport=None):
        ctx = new_context(browser, live_server.url, viewport)
        made.append(ctx)
        return ctx

    yield factory
    for ctx in made:
        ctx.close()
