"""The take-home in a real browser: choose it over the live screen, start the clock, watch the
countdown, hand in with the progress bar, hand in again, read the receipt, then an engineer grades it
blind and the recruiter reads the weighted score; and without JavaScript the same form posts plainly
and the deadline reads as text."""

from __future__ import annotations

import hashlib
import io
import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixtures skip these tests with the reason (or fail them on CI)
    expect = None

from portal.extensions import db
from tests.browser.support import DEMO_PASSWORD, new_context, sign_in
from tests.helpers import PDF

pytestmark = pytest.mark.browser
NOTES = b"# Notes\n\nThe importer choked on a byte-order mark.\n"


def _candidate_at_technical_screen(live_server, email: str) -> int:
    from portal.accounts import services as accounts
    from portal.accounts.models import User
    from portal.hiring import process
    from portal.hiring import services as hiring
    from portal.hiring.models import Position
    from portal.timeutil import utcnow

    with live_server.app.app_context():
        user = accounts.sign_up(name="Kai Keyboard", email=email, password=DEMO_PASSWORD, timezone="Asia/Tokyo")
        user.email_verified_at = utcnow()
        position = db.session.scalars(db.select(Position).where(Position.title == "Senior Backend Engineer")).one()
        application = hiring.apply(
            user, position, cv_stream=io.BytesIO(PDF), cv_filename="cv.pdf", answers={"motivation": "Yes."}
        )
        recruiter = User.by_email("recruiter@example.com")
        while application.stage.key != "technical_screen":
            hiring.move(application.id, process.Action.ADVANCE, recruiter)
            db.session.refresh(application)
        found = application.id
        db.session.remove()
    return found


def test_choose_start_hand_in_with_progress_hand_in_again_and_read_the_receipt(browser, live_server, tmp_path):
    application_id = _candidate_at_technical_screen(live_server, "kai.takehome@example.com")
    context = new_context(browser, live_server.url)
    # Note what the progress bar shows after each upload progress event (kept across the page change).
    context.add_init_script(
        """document.addEventListener('DOMContentLoaded', () => {
          const bar = document.querySelector('[data-upload-bar]');
          if (!bar) return;
          new MutationObserver(() => {
            const seen = JSON.parse(sessionStorage.getItem('progress') || '[]');
            seen.push(Number(bar.value)); sessionStorage.setItem('progress', JSON.stringify(seen));
          }).observe(bar, {attributes: true, attributeFilter: ['value', 'hidden']});
        });"""
    )
    page = context.new_page()
    sign_in(page, "kai.takehome@example.com")
    page.goto(f"/applications/{application_id}")
    page.get_by_role("link", name="Compare the formats and choose").click()
    page.get_by_label("I choose the take-home").check()
    page.get_by_role("button", name="Confirm my choice").click()
    expect(page.get_by_role("heading", name="Start when you are ready")).to_be_visible()
    page.get_by_role("button", name="Start the clock now").click()
    expect(page.get_by_text(re.compile(r"\d+ hours?, \d+ minutes? left\."))).to_be_visible()
    expect(page.get_by_text("(Asia/Tokyo)").first).to_be_visible()

    notes = tmp_path / "NOTES.md"
    notes.write_bytes(NOTES)
    page.get_by_label("Files", exact=True).set_input_files(str(notes))
    page.get_by_role("button", name="Hand in").click()
    expect(page.get_by_role("heading", name="Receipt: version 1")).to_be_visible()
    expect(page.get_by_text(hashlib.sha256(NOTES).hexdigest())).to_be_visible()
    assert page.url.endswith(f"/applications/{application_id}/takehome/submissions/1")

    # Again, with a progress bar that reaches 100% before the receipt shows.
    page.goto(f"/applications/{application_id}/takehome")
    big = tmp_path / "data.csv"
    big.write_bytes(b"customer_id,gigabytes\n" + b"c-1,1.5\n" * 200_000)
    page.get_by_label("Files", exact=True).set_input_files([str(notes), str(big)])
    page.get_by_role("button", name="Hand in a new version").click()
    expect(page.get_by_role("heading", name="Receipt: version 2")).to_be_visible()
    # The page's script sent it with XMLHttpRequest and moved the bar as the bytes went up.
    seen = page.evaluate("() => JSON.parse(sessionStorage.getItem('progress') || '[]')")
    assert seen and seen[-1] == 100, seen
    page.goto(f"/applications/{application_id}/takehome")
    expect(page.get_by_role("link", name="Version 1")).to_be_visible()
    expect(page.get_by_role("link", name="Version 2")).to_be_visible()
    context.close()
    _graded_blind_and_scored(browser, live_server, application_id)


def _graded_blind_and_scored(browser, live_server, application_id: int) -> None:
    """The recruiter asks an engineer to grade; the engineer grades by the code alone, never seeing
    who handed it in; the recruiter reads the weighted score and the recommendation."""
    recruiter = new_context(browser, live_server.url)
    staff = recruiter.new_page()
    sign_in(staff, "recruiter@example.com")
    staff.goto(f"/staff/applications/{application_id}")
    staff.get_by_label("Ask a grader from the position's interviewer pool").select_option(label="Kim Engineer")
    staff.get_by_role("button", name="Assign the grader").click()
    expect(staff.get_by_text("Kim Engineer is asked to grade it, blind")).to_be_visible()
    code = re.search(r"TH-[A-Z0-9]{6}", staff.get_by_role("region", name="Take-home grading").inner_text()).group(0)

    grader_context = new_context(browser, live_server.url)
    grader = grader_context.new_page()
    sign_in(grader, "kim@example.com")
    grader.get_by_role("link", name="To grade").first.click()
    grader.get_by_role("link", name=code).click()
    expect(grader.get_by_role("heading", name=f"Take-home {code}")).to_be_visible()
    for trace in ("Kai", "Keyboard", "kai.takehome"):
        assert trace not in grader.content(), trace
    with grader.expect_download() as download:
        grader.get_by_role("link", name=f"{code}-file-1.md").click()
    assert download.value.suggested_filename == f"{code}-file-1.md"
    for criterion, score in (("Diagnosis", 4), ("Fix", 3), ("Tests", 3), ("Communication", 4)):
        group = grader.get_by_role("group", name=criterion, exact=True)
        group.get_by_label(re.compile(rf"{score}: ")).check()
    grader.get_by_label("Comment on “Diagnosis”").fill("Found the byte-order mark and said why it matters.")
    grader.get_by_role("group", name="Your recommendation").get_by_label("Yes", exact=True).check()
    grader.get_by_label("Your summary for the hiring team").fill("A careful diagnosis; worth meeting.")
    grader.get_by_role("button", name="Submit the grade").click()
    expect(grader.get_by_text("Your grade is submitted.")).to_be_visible()
    expect(grader.get_by_role("heading", name="Yours: 3.50 of 4 · Yes")).to_be_visible()
    assert "Kai" not in grader.content()
    # Grading opened the grading pages, not the application.
    assert grader.goto(f"/staff/applications/{application_id}").status == 404
    grader_context.close()

    staff.reload()
    section = staff.get_by_role("region", name="Take-home grading")
    expect(section.get_by_text("Weighted score: 3.50 of 4")).to_be_visible()
    expect(section.get_by_role("row", name=re.compile(r"Kim Engineer 3\.50 on version \d+ Yes"))).to_be_visible()
    expect(section.get_by_role("button", name="Pass: move to On-site, round 1")).to_be_visible()
    recruiter.close()


def test_without_javascript_the_deadline_is_text_and_the_form_posts_plainly(browser, live_server, tmp_path):
    application_id = _candidate_at_technical_screen(live_server, "kai.nojs@example.com")
    context = new_context(browser, live_server.url)
    context.close()
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, "kai.nojs@example.com")
    page.goto(f"/applications/{application_id}/technical")
    page.get_by_label("I choose the take-home").check()
    page.get_by_role("button", name="Confirm my choice").click()
    page.get_by_role("button", name="Start the clock now").click()
    expect(page.get_by_text(re.compile(r"Hand in by \w{3} \d\d \w{3} \d{4}, \d\d:\d\d \(Asia/Tokyo\)"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"minutes? left"))).to_have_count(0)
    notes = tmp_path / "NOTES.md"
    notes.write_bytes(NOTES)
    page.get_by_label("Files", exact=True).set_input_files(str(notes))
    page.get_by_role("button", name="Hand in").click()
    expect(page.get_by_role("heading", name="Receipt: version 1")).to_be_visible()
    context.close()
