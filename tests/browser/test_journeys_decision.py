"""Scorecards and the decision in a real browser, over the demo data: an interviewer submits the
overdue scorecard from My interviews and then sees the others side by side; the hiring manager
records Dana's decision, where one interviewer dissents, as not selected with feedback; Dana reads
the outcome and the date she may reapply, and nothing of the votes. The recruiter previews and publishes
feedback that the candidate then reads, and the hired candidate accepts her offer. Uma's team voted
hire as one: the hiring manager records the hire, makes the offer, and Uma accepts it."""

from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixtures skip these tests with the reason (or fail them on CI)
    expect = None

from tests.browser.support import sign_in

pytestmark = pytest.mark.browser


def test_an_interviewer_submits_a_scorecard_and_then_sees_the_others(new_browser_context, live_server):
    page = new_browser_context().new_page()
    sign_in(page, "interviewer@example.com")
    page.goto("/staff/interviews")
    page.get_by_role("link", name=re.compile(r"^Scorecard overdue for Olu Onsite")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Scorecard: Coding")
    # Submitting with nothing chosen says what is missing, next to each question.
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("alert").first).to_contain_text("Some answers are missing")
    for group in page.locator("fieldset.radio-group").all():
        radios = group.get_by_role("radio")
        radios.nth(min(2, radios.count() - 1)).check()  # "3: Good", or the last answer offered
    page.get_by_label("Private notes").fill("Solid tests, explained every step.")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Your scorecard is submitted.")).to_be_visible()
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="My interviews").click()
    page.get_by_role("link", name="Olu Onsite").first.click()
    section = page.locator("section", has=page.locator("#scorecards-heading"))
    expect(section.get_by_role("table")).to_contain_text("Jordan Engineer")
    expect(section.get_by_role("table")).to_contain_text("Solid tests, explained every step.")


def test_a_dissent_ends_as_not_selected_and_the_candidate_sees_the_reapply_date(new_browser_context, live_server):
    manager = new_browser_context().new_page()
    sign_in(manager, "manager@example.com")
    manager.goto("/staff/positions")
    manager.get_by_role("link", name="Site Reliability Engineer").first.click()
    manager.get_by_role("link", name="Dana Decision").first.click()
    manager.get_by_role("link", name="The team's decision: votes").click()
    expect(manager.get_by_text("Dissenting")).to_be_visible()
    manager.get_by_role("button", name="Record: not selected").click()
    expect(manager.get_by_role("alert").first).to_contain_text("write feedback")
    manager.get_by_label(re.compile("Feedback for the candidate")).fill(
        "Thank you. Strengths: clear reasoning. To grow: cost at scale."
    )
    manager.get_by_role("button", name="Record: not selected").click()
    expect(manager.get_by_text("Recorded: not selected")).to_be_visible()

    candidate = new_browser_context().new_page()
    sign_in(candidate, "decision@example.com")
    candidate.goto("/dashboard")
    candidate.get_by_role("link", name=re.compile("Site Reliability Engineer")).first.click()
    main = candidate.get_by_role("main")
    expect(main).to_contain_text("Not selected")
    expect(main).to_contain_text("To grow: cost at scale.")
    expect(main).to_contain_text(re.compile(r"apply again", re.I))
    for secret in ("No hire", "Struggled to reason about cost at scale.", "Keeper Test", "Noor reasoned"):
        expect(main).not_to_contain_text(secret)


def test_the_recruiter_publishes_feedback_after_a_preview_and_the_hired_candidate_accepts_the_offer(
    new_browser_context, live_server
):
    recruiter = new_browser_context().new_page()
    sign_in(recruiter, "recruiter@example.com")
    recruiter.goto("/staff/positions")
    recruiter.get_by_role("link", name="Senior Backend Engineer").first.click()
    recruiter.get_by_role("link", name="Noor Second").first.click()
    feedback = recruiter.locator("section", has=recruiter.locator("#candidate-feedback-heading"))
    expect(feedback).to_contain_text("draft saved, not published")
    feedback.get_by_role("link", name="Recruiter screen").click()
    expect(recruiter.get_by_role("heading", level=1)).to_have_text("Feedback for Recruiter screen")
    editor = recruiter.get_by_label("Feedback for the candidate (Markdown)")
    editor.fill("**Strengths:** a clear story about your work.\n\n**To grow:** bring numbers.")
    recruiter.get_by_role("button", name="Preview").click()
    preview = recruiter.locator("section", has=recruiter.locator("#preview-heading"))
    expect(preview.locator("strong").first).to_have_text("Strengths:")
    expect(recruiter.get_by_label("Feedback for the candidate (Markdown)")).to_have_value(re.compile("bring numbers"))
    recruiter.get_by_role("button", name="Publish to the candidate").click()
    expect(recruiter.get_by_text("Published: the candidate reads it")).to_be_visible()

    noor = new_browser_context().new_page()
    sign_in(noor, "onsite2@example.com")
    noor.goto("/dashboard")
    noor.get_by_role("link", name=re.compile("Senior Backend Engineer")).first.click()
    section = noor.locator("section", has=noor.locator("#feedback-heading"))
    expect(section).to_contain_text("Feedback: Recruiter screen")
    expect(section).to_contain_text("bring numbers")
    for secret in ("Keeper Test", "reasoned out loud", "Strong yes", "draft"):
        expect(noor.get_by_role("main")).not_to_contain_text(secret)

    hana = new_browser_context().new_page()
    sign_in(hana, "hired@example.com")
    hana.goto("/dashboard")
    hana.get_by_role("link", name=re.compile("Senior Backend Engineer")).first.click()
    offer = hana.locator("section", has=hana.locator("#offer-heading"))
    expect(offer).to_contain_text("Waiting for your answer")
    expect(hana.get_by_role("main")).to_contain_text("What stood out")
    hana.get_by_label("I accept the offer").check()
    hana.get_by_role("button", name="Send my answer").click()
    expect(hana.get_by_text("Welcome aboard!")).to_be_visible()
    expect(offer).to_contain_text("Accepted")
    expect(hana.get_by_role("button", name="Send my answer")).to_have_count(0)

    # Closed applications are off the pipeline's default view: the recruiter opens Hana's from the mail.
    application_id = re.search(r"/applications/(\d+)", hana.url).group(1)
    recruiter.goto(f"/staff/applications/{application_id}")
    expect(recruiter.locator("section", has=recruiter.locator("#candidate-feedback-heading"))).to_contain_text(
        "Accepted"
    )


def test_a_unanimous_vote_is_recorded_as_a_hire_and_the_candidate_accepts_the_offer(new_browser_context, live_server):
    manager = new_browser_context().new_page()
    sign_in(manager, "manager@example.com")
    manager.goto("/staff/positions")
    manager.get_by_role("link", name="Senior Backend Engineer").first.click()
    manager.get_by_role("link", name="Uma Unanimous").first.click()
    manager.get_by_role("link", name="The team's decision: votes").click()
    expect(manager.get_by_role("main")).not_to_contain_text("Dissenting")
    manager.get_by_role("button", name="Record: hire").click()
    expect(manager.get_by_text("Hire recorded")).to_be_visible()

    # The offer comes from the hire, made on the same application page, by keyboard alone.
    manager.get_by_role("link", name="Make the offer").focus()
    manager.keyboard.press("Enter")
    expect(manager.get_by_role("heading", level=1)).to_have_text("Offer: Uma Unanimous")
    manager.get_by_label("Role offered").fill("Senior Backend Engineer")
    manager.get_by_label("Start date").fill("2027-03-01")
    manager.get_by_label("Feedback for the candidate (Markdown)").fill(
        "**What stood out:** the calm way you took the system apart.\n\n**To grow:** cost at scale."
    )
    manager.get_by_role("button", name="Send the offer").click()
    expect(manager.get_by_text("The offer is sent")).to_be_visible()

    uma = new_browser_context().new_page()
    sign_in(uma, "unanimous@example.com")
    uma.goto("/dashboard")
    uma.get_by_role("link", name=re.compile("Senior Backend Engineer")).first.click()
    offer = uma.locator("section", has=uma.locator("#offer-heading"))
    expect(offer).to_contain_text("Waiting for your answer")
    expect(uma.get_by_role("main")).to_contain_text("the calm way you took the system apart")
    for secret in ("Would raise the bar of the team.", "Keeper Test", "reasoned out loud", "Strong yes"):
        expect(uma.get_by_role("main")).not_to_contain_text(secret)
    uma.get_by_label("I accept the offer").check()
    uma.get_by_role("button", name="Send my answer").click()
    expect(offer).to_contain_text("Accepted")
