"""Booking in a real browser set to Los Angeles time, while the interviewers keep Amsterdam hours:
the candidate books, moves and cancels a recruiter screen, and books a whole on-site round."""

from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixtures skip these tests with the reason (or fail them on CI)
    expect = None

from portal.extensions import db
from tests.browser.support import DEMO_PASSWORD, sign_in
from tests.helpers import PDF

pytestmark = pytest.mark.browser
LOS_ANGELES = "America/Los_Angeles"


def _candidate_at(live_server, email: str, stage_key: str) -> int:
    """A new candidate (profile zone Amsterdam) whose application waits at `stage_key` to book."""
    from portal.accounts import services as accounts
    from portal.accounts.models import User
    from portal.hiring import process
    from portal.hiring import services as hiring
    from portal.hiring.models import Position
    from portal.timeutil import utcnow

    with live_server.app.app_context():
        user = accounts.sign_up(name="Lane Booker", email=email, password=DEMO_PASSWORD, timezone="Europe/Amsterdam")
        user.email_verified_at = utcnow()
        position = db.session.scalars(db.select(Position).where(Position.title == "Senior Backend Engineer")).one()
        application = hiring.apply(
            user, position, cv_stream=io.BytesIO(PDF), cv_filename="cv.pdf", answers={"motivation": "Yes."}
        )
        recruiter = User.by_email("recruiter@example.com")
        while application.stage.key != stage_key:
            hiring.move(application.id, process.Action.ADVANCE, recruiter)
            db.session.refresh(application)
        found = application.id
        db.session.remove()
    return found


def _interviews(live_server, application_id: int):
    from portal.scheduling.models import Interview

    with live_server.app.app_context():
        found = [
            (i.status, i.starts_at, i.kind_key)
            for i in db.session.scalars(
                db.select(Interview).where(Interview.application_id == application_id).order_by(Interview.starts_at)
            )
        ]
        db.session.remove()
    return found


def _in_los_angeles(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-US", timezone_id=LOS_ANGELES)
    context.set_default_timeout(10_000)
    return context


def _choose_first_time(page, application_id: int) -> str:
    """From the booking page: the first day, its first time, Continue; returns the UTC value chosen."""
    expect(page.get_by_label("Times are shown in")).to_have_value(LOS_ANGELES)  # detected from the browser
    page.get_by_role("list").filter(has=page.get_by_role("link", name=re.compile(r"^\w+day \d\d \w+$"))).get_by_role(
        "link"
    ).first.click()
    first = page.get_by_role("radio").first
    value = first.get_attribute("value")
    first.check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Confirm")).to_be_visible()
    local = datetime.fromisoformat(value).astimezone(ZoneInfo(LOS_ANGELES))
    expect(page.get_by_text(f"{local:%A %d %B %Y, %H:%M} ({LOS_ANGELES})")).to_be_visible()
    return value


def test_a_candidate_in_los_angeles_books_moves_and_cancels_a_screen(browser, live_server):
    application_id = _candidate_at(live_server, "lane.screen@example.com", "recruiter_screen")
    page = _in_los_angeles(browser, live_server).new_page()
    sign_in(page, "lane.screen@example.com")
    page.goto(f"/applications/{application_id}")
    page.get_by_role("link", name="Choose a time for your recruiter screen").click()
    chosen = _choose_first_time(page, application_id)
    page.get_by_role("button", name="Book this time").click()
    expect(page.get_by_role("status").filter(has_text="Booked.")).to_be_visible()
    [(status, starts_at, kind)] = _interviews(live_server, application_id)
    assert (status, kind) == ("booked", "recruiter_screen")
    assert starts_at == datetime.fromisoformat(chosen)
    # The recruiter's 09:00–17:00 in Amsterdam is the night or early morning in Los Angeles.
    amsterdam = starts_at.astimezone(ZoneInfo("Europe/Amsterdam"))
    assert 9 <= amsterdam.hour < 17

    # Move it: another day, with a reason.
    page.get_by_role("link", name="Move to another time").click()
    page.get_by_role("list").filter(has=page.get_by_role("link", name=re.compile(r"^\w+day \d\d \w+$"))).get_by_role(
        "link"
    ).last.click()
    last = page.get_by_role("radio").last
    moved_to = last.get_attribute("value")
    last.check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Why are you moving it?").fill("A family visit")
    page.get_by_role("button", name="Move to this time").click()
    expect(page.get_by_role("status").filter(has_text="Moved.")).to_be_visible()
    [(status, starts_at, _)] = _interviews(live_server, application_id)
    assert status == "booked" and starts_at == datetime.fromisoformat(moved_to)

    # Cancel it, keyboard only: open the disclosure, type the reason, press the button.
    page.get_by_text("Cancel", exact=True).focus()
    page.keyboard.press("Enter")
    page.get_by_label("Why are you cancelling?").fill("I accepted another offer")
    page.get_by_label("Why are you cancelling?").press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Cancelled.")).to_be_visible()
    assert [s for s, _, _ in _interviews(live_server, application_id)] == ["cancelled"]
    expect(page.get_by_role("link", name="Choose a time for your recruiter screen")).to_be_visible()


def test_a_candidate_in_los_angeles_books_a_whole_first_round(browser, live_server):
    application_id = _candidate_at(live_server, "lane.loop@example.com", "onsite_1")
    page = _in_los_angeles(browser, live_server).new_page()
    sign_in(page, "lane.loop@example.com")
    page.goto(f"/applications/{application_id}/book")
    expect(page.get_by_text("5 interviews back to back")).to_be_visible()
    _choose_first_time(page, application_id)
    page.get_by_role("button", name="Book this time").click()
    expect(page.get_by_role("status").filter(has_text="Booked.")).to_be_visible()
    booked = _interviews(live_server, application_id)
    assert [k for _, _, k in booked] == [
        "coding",
        "whiteboarding",
        "data_structures",
        "system_design",
        "hr_behavioural",
    ]
    for kind in ("Coding", "Whiteboarding", "System design"):
        expect(page.get_by_text(re.compile(rf"{kind} with "))).to_be_visible()
