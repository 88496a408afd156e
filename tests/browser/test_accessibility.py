"""Every page of the demo, for every role, meets WCAG 2.1 AA as axe-core checks it, fits a phone
without sideways scrolling, and starts with a skip link that takes keyboard users to the content.

The pages come from tests/browser/pages.py (the catalogue scripts/screenshots.py photographs too);
one signed-in browser context per role is reused across its pages. Pages are audited with the
portal's real Content-Security-Policy in force: axe is injected through the DevTools protocol,
which the policy does not govern, and a page that breaks the policy fails the test.
"""

from __future__ import annotations

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from tests.browser.pages import PAGES, ROLES
from tests.browser.support import DESKTOP, PHONE, new_context, open_page, sign_in

pytestmark = pytest.mark.browser

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary})),
  }));
}"""
# GET endpoints that are not pages: file downloads, redirects to an identity provider or onwards.
NOT_PAGES = {
    "static",
    "candidate.application_cv",
    "staff.application_cv",
    "oidc.start",
    "oidc.callback",
    # Calendar files, not pages.
    "scheduling.candidate_invite",
    "scheduling.staff_invite",
    "scheduling.feed",
    # Take-home starter files, downloads.
    "takehome.starter_download",
    "takehome.staff_starter_download",
    # A take-home's file, downloaded by its grader.
    "takehome.grading_file",
}


class RolePage:
    """A signed-in tab for one role, with the console problems seen since the last page opened."""

    def __init__(self, page):
        self.page = page
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            self.problems.append(f"CSP: {text}")


@pytest.fixture(scope="module")
def role_page(browser, live_server, axe_source):
    """The signed-in tab of a role, opened on first use and reused by the role's other pages."""
    tabs: dict[str, RolePage] = {}
    contexts = []

    def get(role: str) -> RolePage:
        if role not in tabs:
            context = new_context(browser, live_server.url)
            contexts.append(context)
            page = context.new_page()
            if ROLES[role]:
                sign_in(page, ROLES[role])
            tabs[role] = RolePage(page)
        return tabs[role]

    yield get
    for context in contexts:
        context.close()


def axe_violations(page, axe_source: str) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    return page.evaluate(RUN_AXE, AXE_TAGS)


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} [{violation['impact']}] {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    at {node['target']}: {summary}")
    return "\n".join(lines)


def keyboard_problems(page) -> list[str]:
    """The first Tab reaches the skip link, visibly; Enter on it moves focus to the main content."""
    page.keyboard.press("Tab")
    first = page.evaluate("""() => {
      const el = document.activeElement;
      const box = el.getBoundingClientRect();
      return {skip: el.matches('a.skip-link'), text: (el.textContent || el.tagName).trim().slice(0, 40),
              visible: box.top >= 0 && box.left >= 0 && box.width > 0 && box.height > 0};
    }""")
    if not first["skip"]:
        return [f"the first Tab reaches {first['text']!r}, not the skip link"]
    problems = [] if first["visible"] else ["the skip link stays off screen when it has focus"]
    page.keyboard.press("Enter")
    if not page.evaluate("document.activeElement === document.querySelector('main#main')"):
        problems.append("Enter on the skip link does not move focus to <main id=main>")
    return problems


def phone_problems(page) -> list[str]:
    page.set_viewport_size(PHONE)
    widths = page.evaluate("""() => {
      const root = document.documentElement;
      const wide = [...document.body.querySelectorAll('*')]
        .filter((el) => el.getBoundingClientRect().right > root.clientWidth + 1 && !el.closest('.table-wrap'))
        .slice(0, 3).map((el) => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ')[0] : ''));
      return {scroll: root.scrollWidth, client: root.clientWidth, wide};
    }""")
    if widths["scroll"] > widths["client"]:
        return [
            f"at {PHONE['width']}px the page scrolls sideways: {widths['scroll']}px wide for "
            f"{widths['client']}px (too wide: {', '.join(widths['wide']) or 'unknown'})"
        ]
    return []


@pytest.mark.parametrize("spec", PAGES, ids=lambda spec: spec.id)
def test_page_meets_wcag_aa_fits_a_phone_and_starts_with_a_skip_link(spec, role_page, ids, axe_source):
    tab = role_page(spec.role)
    page = tab.page
    page.set_viewport_size(DESKTOP)
    tab.problems.clear()
    status = open_page(page, spec, ids)
    assert status == spec.status, f"{spec.url(ids)} answered {status}, expected {spec.status}"

    problems = []
    violations = axe_violations(page, axe_source)
    if violations:
        report = describe(violations)
        print(f"\naxe violations on {spec.id} ({spec.url(ids)}):\n{report}")
        problems.append(f"{len(violations)} axe violation(s):\n{report}")
    problems += keyboard_problems(page)
    problems += phone_problems(page)
    # The layout changes at phone width (tables become cards, the tracker a column): audit it again.
    violations = axe_violations(page, axe_source)
    if violations:
        report = describe(violations)
        print(f"\naxe violations on {spec.id} at {PHONE['width']}px:\n{report}")
        problems.append(f"{len(violations)} axe violation(s) at {PHONE['width']}px:\n{report}")
    problems += tab.problems
    assert not problems, f"{spec.id} ({spec.url(ids)}):\n" + "\n".join(problems)


def test_every_page_of_the_portal_is_in_the_audit(live_server, ids):
    """A page added to the portal must be added to tests/browser/pages.py, or it goes unaudited."""
    app = live_server.app
    adapter = app.url_map.bind("127.0.0.1")
    covered = set()
    for spec in PAGES:
        path = spec.url(ids).split("?")[0]
        try:
            endpoint, _ = adapter.match(path, method="GET")
        except (NotFound, MethodNotAllowed):
            continue
        covered.add(endpoint)
    pages = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods} - NOT_PAGES
    missing = sorted(pages - covered)
    assert not missing, f"pages not in the accessibility audit (add them to tests/browser/pages.py): {missing}"


def test_the_audit_reports_what_it_should(browser, live_server, axe_source):
    """The harness itself: a page with known faults yields axe violations and a phone overflow."""
    context = new_context(browser, live_server.url)
    try:
        page = context.new_page()
        page.set_content("""<!doctype html><html><head><title>faults</title></head><body>
          <main><img src="x.png"><input type="text"><p><span class="wide">x</span></p></main></body></html>""")
        found = {violation["id"] for violation in axe_violations(page, axe_source)}
        assert {"image-alt", "label", "html-has-lang"} <= found, found
        page.evaluate("document.querySelector('.wide').style.cssText = 'display:inline-block;width:2000px'")
        assert phone_problems(page)
        assert keyboard_problems(page)  # no skip link

        tab = RolePage(context.new_page())  # a portal page under its real CSP, given an inline style
        tab.page.goto("/positions")
        tab.page.evaluate(
            "document.querySelector('main').insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')"
        )
        tab.page.wait_for_timeout(100)
        assert any(problem.startswith("CSP:") for problem in tab.problems), tab.problems
    finally:
        context.close()
