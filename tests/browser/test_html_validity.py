"""Every page of the demo, for every role, is valid HTML as the W3C Nu HTML checker reads it,
and so are the error pages and the HTML part of the mail the demo sent.

The pages come from tests/browser/pages.py (the catalogue the accessibility audit opens): each is
opened in a signed-in browser, and the HTML the server sent for it is saved to a file. The
checker (vnu.jar from the npm registry, on Java) starts slowly, so it runs once over all the files,
together with a document with known faults that proves the run reports what it should.
Warnings are left to the reader; errors fail the page.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from portal.errorpages import MESSAGES, render_error
from tests.browser.pages import PAGES, ROLES
from tests.browser.support import new_context, sign_in, visit

pytestmark = pytest.mark.browser

# A document with two faults the checker must find: the six-digit fraction of a second that
# Python's isoformat() writes, and a duplicate id.
FAULTY = "harness-check"
FAULTY_HTML = """<!doctype html>
<html lang="en">
<head><title>faults</title></head>
<body>
<p id="twice"><time datetime="2026-12-01T09:30:00.123456+00:00">today</time></p>
<p id="twice">again</p>
</body>
</html>
"""
# The statuses the portal answers a plain GET or POST with, as a browser meets them.
ERROR_REQUESTS = {
    "error-405": ("GET", "/auth/logout", 405),
    "error-400-csrf": ("POST", "/auth/login", 400),  # a form without its CSRF token
}


@dataclass
class Checked:
    """One document given to the checker: where it came from, and what went wrong."""

    source: str
    problems: list[str] = field(default_factory=list)


def nu_errors(command: list[str], files: list[Path]) -> dict[str, list[str]]:
    """Run the checker once over `files`; the errors of each file (by stem) as 'line N: message'."""
    run = subprocess.run(
        [*command, "--format", "json", "--errors-only", "--stdout", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"the Nu HTML checker did not answer with JSON (exit {run.returncode}):\n"
            f"{run.stdout[-2000:]}{run.stderr[-2000:]}",
            pytrace=False,
        )
    errors: dict[str, list[str]] = {}
    for message in report.get("messages", []):
        if message.get("type") not in ("error", "non-document-error"):
            continue
        stem = Path(unquote(urlparse(message.get("url", "")).path)).stem
        where = f"line {message['lastLine']}" if "lastLine" in message else "document"
        extract = " ".join(message.get("extract", "").split())
        errors.setdefault(stem, []).append(
            f"{where}: {message.get('message', '?')}" + (f"\n      {extract}" if extract else "")
        )
    return errors


def served_pages(browser, live_server, ids, folder: Path) -> dict[str, Checked]:
    """Each catalogue page as the server sent it, saved under its id, one signed-in tab per role."""
    checked: dict[str, Checked] = {}
    for role in dict.fromkeys(spec.role for spec in PAGES):
        context = new_context(browser, live_server.url)
        try:
            page = context.new_page()
            if ROLES[role]:
                sign_in(page, ROLES[role])
            for spec in (s for s in PAGES if s.role == role):
                entry = checked[spec.id] = Checked(spec.url(ids))
                response = visit(page, spec, ids)
                if response is None or response.status != spec.status:
                    entry.problems.append(
                        f"answered {response.status if response else 'nothing'}, expected {spec.status}"
                    )
                    continue
                (folder / f"{spec.id}.html").write_text(response.text(), encoding="utf-8")
        finally:
            context.close()
    return checked


def error_pages(browser, live_server, folder: Path) -> dict[str, Checked]:
    """The portal's error page for every status it has words for, plus two met over HTTP."""
    checked: dict[str, Checked] = {}
    app = live_server.app
    for status in MESSAGES:
        name = f"error-{status}"
        checked[name] = Checked(f"the {status} error page")
        with app.test_request_context("/"):
            html, _, _ = render_error(status)
        (folder / f"{name}.html").write_text(html, encoding="utf-8")
    context = new_context(browser, live_server.url)
    try:
        for name, (method, path, status) in ERROR_REQUESTS.items():
            entry = checked[name] = Checked(f"{method} {path}")
            response = context.request.fetch(
                path, method=method, max_redirects=0, form={} if method == "POST" else None
            )
            if response.status != status:
                entry.problems.append(f"answered {response.status}, expected {status}")
                continue
            (folder / f"{name}.html").write_text(response.text(), encoding="utf-8")
    finally:
        context.close()
    return checked


def mail_parts(live_server, folder: Path) -> dict[str, Checked]:
    """The HTML part of the newest mail of each kind in the demo's outbox."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.notifications.models import OutboxMessage

    checked: dict[str, Checked] = {}
    with live_server.app.app_context():
        for message in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())):
            name = f"mail-{message.kind}"
            if message.body_html and name not in checked:
                checked[name] = Checked(f"the {message.kind} mail to {message.to_addr}")
                (folder / f"{name}.html").write_text(message.body_html, encoding="utf-8")
        db.session.remove()
    return checked


@pytest.fixture(scope="module")
def checked(vnu_command, browser, live_server, ids, tmp_path_factory) -> dict[str, Checked]:
    """Every document, checked in one run of the Nu HTML checker."""
    folder = tmp_path_factory.mktemp("served-html")
    found = {
        **served_pages(browser, live_server, ids, folder),
        **error_pages(browser, live_server, folder),
        **mail_parts(live_server, folder),
    }
    found[FAULTY] = Checked("a document with known faults")
    (folder / f"{FAULTY}.html").write_text(FAULTY_HTML, encoding="utf-8")
    files = sorted(folder.glob("*.html"))
    for name, errors in nu_errors(vnu_command, files).items():
        entry = found.setdefault(name, Checked(f"unknown file {name}"))
        entry.problems.extend(errors)
    return found


def report(name: str, entry: Checked) -> str:
    return f"{name} ({entry.source}): {len(entry.problems)} error(s)\n" + "\n".join(
        f"  {problem}" for problem in entry.problems
    )


@pytest.mark.parametrize("spec", PAGES, ids=lambda spec: spec.id)
def test_page_is_valid_html(spec, checked):
    entry = checked[spec.id]
    assert not entry.problems, report(spec.id, entry)


@pytest.mark.parametrize("name", [f"error-{status}" for status in MESSAGES] + list(ERROR_REQUESTS))
def test_error_page_is_valid_html(name, checked):
    entry = checked[name]
    assert not entry.problems, report(name, entry)


def test_mail_html_is_valid(checked):
    mails = {name: entry for name, entry in checked.items() if name.startswith("mail-")}
    assert mails, "the demo's outbox holds no mail with an HTML part"
    invalid = [report(name, entry) for name, entry in mails.items() if entry.problems]
    assert not invalid, "\n".join(invalid)


def test_the_checker_reports_what_it_should(checked):
    """The harness itself: the faulty document's errors come back with their lines, and no
    document the checker saw is left unaccounted for."""
    problems = checked[FAULTY].problems
    assert any(p.startswith("line 5:") and "fraction of a second" in p for p in problems), problems
    assert any(p.startswith("line 6:") and "Duplicate ID" in p for p in problems), problems
    expected = {spec.id for spec in PAGES} | {f"error-{s}" for s in MESSAGES} | set(ERROR_REQUESTS) | {FAULTY}
    unaccounted = {name for name in set(checked) - expected if not name.startswith("mail-")}
    assert not unaccounted, sorted(unaccounted)
