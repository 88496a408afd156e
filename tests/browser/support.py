"""What the browser tests and scripts/screenshots.py share: Debian's chromium and how to start it,
the two viewports, and how a person signs in, fills a field and sends a form.

Chromium is Debian's (/usr/bin/chromium, or CHROMIUM_PATH), never one Playwright downloads.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.browser.pages import PageSpec

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# The network is closed where the tests run: chromium must not try to phone home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
DEMO_PASSWORD = "candor-demo-2026"


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


def new_context(browser, base_url: str, viewport: dict | None = None):
    """A browser context (its own cookies) on the portal, in a candidate's locale and time zone."""
    context = browser.new_context(
        base_url=base_url, viewport=viewport or DESKTOP, locale="en-GB", timezone_id="Europe/Amsterdam"
    )
    context.set_default_timeout(10_000)
    return context


def form_field(page, label: str):
    """The form field with this label (the visual "*" of a required field is not part of the name)."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def sign_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the real form, as a person does (page: a Playwright page with a base URL)."""
    page.goto("/auth/login")
    form_field(page, "Email").fill(email)
    form_field(page, "Password").fill(password)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Sign in", exact=True).click()
    assert "/auth/login" not in page.url, f"sign-in as {email} failed: still on {page.url}"


def visit(page, spec: PageSpec, ids: dict):
    """Open the page of `spec` (filling and sending its form if it says so); return the server's
    response for it (its status, and the HTML as served), or None if there was none."""
    response = page.goto(spec.url(ids))
    if spec.submit:
        for label, value in spec.fill.items():
            form_field(page, label).fill(value)
        with page.expect_navigation() as navigation:
            page.locator("main").get_by_role("button", name=spec.submit, exact=True).click()
        response = navigation.value
    page.wait_for_load_state("load")
    return response


def open_page(page, spec: PageSpec, ids: dict) -> int:
    """Open the page of `spec` as visit() does; return the HTTP status."""
    response = visit(page, spec, ids)
    return response.status if response else 0
