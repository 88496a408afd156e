"""A candidate's way through the portal in a real browser, and a recruiter moving them on.

The candidate signs up through the form, confirms their email from the link in the mail the
portal queued, applies with a PDF, and follows the stage tracker; a recruiter, in a browser of
their own, advances them; the candidate reloads and sees where they now stand.
"""

from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixtures skip these tests with the reason (or fail them on CI)
    expect = None

from portal.extensions import db
from tests.browser.support import form_field, sign_in
from tests.helpers import PDF, link_in, outbox

pytestmark = pytest.mark.browser

STAGES = [
    "Applied",
    "Recruiter screen",
    "Technical screen",
    "On-site, round 1",
    "On-site, round 2",
    "Decision",
    "Outcome",
]


def mail_link(live_server, kind: str, to_addr: str, path_prefix: str) -> str:
    """The path of the link in the newest mail of `kind` to `to_addr`, read from the outbox table."""
    with live_server.app.app_context():
        messages = [message for message in outbox(kind) if message.to_addr == to_addr]
        assert messages, f"no {kind} mail to {to_addr} in the outbox"
        path = link_in(messages[-1], path_prefix)
        db.session.remove()
    return path


def mail_kinds_to(live_server, to_addr: str) -> list[str]:
    with live_server.app.app_context():
        kinds = [message.kind for message in outbox() if message.to_addr == to_addr]
        db.session.remove()
    return kinds


def tracker(page) -> dict[str, str]:
    """Each stage with its state, as the words on the page say it (not the colours)."""
    steps = page.get_by_role("list", name="Stages of your application").get_by_role("listitem")
    expect(steps).to_have_count(len(STAGES))
    return {
        step.locator(".tracker-name").inner_text(): step.locator(".tracker-state").inner_text() for step in steps.all()
    }


def current_step(page) -> str:
    return page.locator('ol.tracker > li[aria-current="step"] .tracker-name').inner_text()


def test_candidate_signs_up_applies_and_sees_the_recruiter_advance_them(new_browser_context, live_server):
    email = "jules.journey@example.com"
    candidate = new_browser_context().new_page()

    # Sign up through the form; the browser's time zone is preselected.
    candidate.goto("/")
    candidate.get_by_role("navigation", name="Main").get_by_role("link", name="Create account").click()
    expect(candidate.get_by_role("heading", level=1)).to_have_text("Create your account")
    expect(form_field(candidate, "Time zone")).to_have_value("Europe/Amsterdam")
    form_field(candidate, "Full name").fill("Jules Journey")
    form_field(candidate, "Email").fill(email)
    form_field(candidate, "Password").fill("a long and private passphrase")
    candidate.get_by_role("main").get_by_role("button", name="Create account").click()
    expect(candidate).to_have_url(re.compile(r"/auth/signup/sent$"))
    expect(candidate.get_by_role("heading", level=1)).to_have_text("Check your email")

    # Open the link from the verification mail: it only shows a page; the button confirms.
    candidate.goto(mail_link(live_server, "verify_email", email, "/auth/verify/"))
    expect(candidate.get_by_role("heading", level=1)).to_have_text("Confirm your email address")
    form_field(candidate, "Your password").fill("a long and private passphrase")
    candidate.get_by_role("main").get_by_role("button", name="Confirm and sign in").click()
    expect(candidate.get_by_role("status").filter(has_text="Your email address is confirmed.")).to_be_visible()
    expect(candidate.get_by_role("heading", level=1)).to_have_text("My applications")

    # Apply to an open position with a CV and answers.
    candidate.get_by_role("navigation", name="Main").get_by_role("link", name="Open positions").click()
    candidate.get_by_role("link", name="Site Reliability Engineer").click()
    candidate.get_by_role("link", name="Apply for this position").click()
    expect(candidate.get_by_role("heading", level=1)).to_have_text("Apply for Site Reliability Engineer")
    form_field(candidate, "Your CV").set_input_files(
        {"name": "jules-cv.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    form_field(candidate, "Why this role, and why now?").fill("I want deploys to be boring.")
    form_field(candidate, "Something you built or solved that you are proud of").fill("A zero-downtime migration.")
    candidate.get_by_role("button", name="Send application").click()
    expect(candidate).to_have_url(re.compile(r"/applications/\d+$"))
    expect(candidate.get_by_role("status").filter(has_text="Your application is in.")).to_be_visible()

    # The tracker says, in words, that Applied is the current step and everything else is upcoming.
    assert tracker(candidate) == {"Applied": "Current step", **{stage: "Upcoming" for stage in STAGES[1:]}}
    assert current_step(candidate) == "Applied"
    expect(candidate.get_by_text("You will hear from us by")).to_be_visible()

    # A recruiter, in a browser of their own, finds the candidate in the pipeline and advances them.
    recruiter = new_browser_context().new_page()
    sign_in(recruiter, "recruiter@example.com")
    recruiter.get_by_role("navigation", name="Main").get_by_role("link", name="Positions").click()
    recruiter.get_by_role("link", name="Pipeline of Site Reliability Engineer").click()
    expect(recruiter.get_by_role("heading", level=1)).to_have_text("Pipeline: Site Reliability Engineer")
    form_field(recruiter, "Name or email").fill("jules")
    recruiter.get_by_role("button", name="Filter").click()
    expect(recruiter.get_by_text("1 application found.")).to_be_visible()
    recruiter.get_by_role("link", name="Jules Journey").click()
    recruiter.get_by_role("button", name="Advance to Recruiter screen").click()
    expect(recruiter.get_by_role("status").filter(has_text="moved to the next stage")).to_be_visible()
    assert "application_advance" in mail_kinds_to(live_server, email)

    # The candidate reloads: Recruiter screen is now current, Applied done, and the timeline says so.
    candidate.reload()
    states = tracker(candidate)
    assert states["Applied"] == "Done"
    assert states["Recruiter screen"] == "Current step"
    assert all(states[stage] == "Upcoming" for stage in STAGES[2:])
    assert current_step(candidate) == "Recruiter screen"
    expect(candidate.locator("ol.timeline > li").first).to_contain_text("Moved to Recruiter screen")
    expect(candidate.get_by_text("Now: Recruiter screen.")).to_be_visible()


def test_sign_up_with_a_short_password_keeps_what_was_typed(context):
    page = context.new_page()
    page.goto("/auth/signup")
    form_field(page, "Full name").fill("Kim Keeps")
    form_field(page, "Email").fill("kim.keeps@example.com")
    form_field(page, "Password").fill("short")
    form_field(page, "Time zone").select_option("Asia/Tokyo")
    with page.expect_navigation() as navigation:
        page.get_by_role("main").get_by_role("button", name="Create account").click()
    assert navigation.value.status == 422

    expect(page.get_by_role("alert")).to_contain_text("Please correct the field marked below.")
    password = form_field(page, "Password")
    expect(password).to_have_attribute("aria-invalid", "true")
    # The error sits next to the field and is part of its description for screen readers.
    expect(password).to_have_accessible_description(re.compile("Use at least 10 characters"))
    expect(form_field(page, "Full name")).to_have_value("Kim Keeps")
    expect(form_field(page, "Email")).to_have_value("kim.keeps@example.com")
    expect(form_field(page, "Time zone")).to_have_value("Asia/Tokyo")  # a choice sent back is not replaced
    expect(password).to_have_value("")  # passwords are never sent back to the browser


def test_apply_without_a_cv_keeps_the_answers(new_browser_context, live_server):
    page = new_browser_context().new_page()
    sign_in(page, "onsite2@example.com")
    page.goto("/positions")
    page.get_by_role("link", name="Product Designer").click()
    page.get_by_role("link", name="Apply for this position").click()
    form_field(page, "Why this role, and why now?").fill("Hiring should feel fair.")
    form_field(page, "Portfolio, GitHub or LinkedIn link").fill("https://example.com/noor")
    page.get_by_role("button", name="Send application").click()

    cv = form_field(page, "Your CV")
    expect(cv).to_have_attribute("aria-invalid", "true")
    expect(cv).to_have_accessible_description(re.compile("Attach your CV"))
    expect(form_field(page, "Why this role, and why now?")).to_have_value("Hiring should feel fair.")
    expect(form_field(page, "Portfolio, GitHub or LinkedIn link")).to_have_value("https://example.com/noor")
    page.goto("/dashboard")
    expect(page.get_by_role("link", name="Product Designer")).to_have_count(0)


def test_a_candidate_signs_in_with_the_keyboard_alone(context):
    page = context.new_page()
    page.goto("/auth/login")
    email = form_field(page, "Email")
    for _ in range(15):  # past the skip link and the header, into the form
        page.keyboard.press("Tab")
        if email.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reaches the email field of the sign-in form")
    page.keyboard.type("candidate@example.com")
    page.keyboard.press("Tab")
    expect(form_field(page, "Password")).to_be_focused()
    page.keyboard.type("candor-demo-2026")
    page.keyboard.press("Tab")
    expect(form_field(page, "Keep me signed in on this device")).to_be_focused()
    page.keyboard.press("Space")
    expect(form_field(page, "Keep me signed in on this device")).to_be_checked()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("My applications")
