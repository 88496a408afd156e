"""Security headers, a CSP the pages actually live with, cookie flags, and no caching of personal pages."""

from __future__ import annotations

from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from portal import config as config_module
from portal import demo
from tests.helpers import PASSWORD, login


def directives(csp: str) -> dict[str, list[str]]:
    found = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            found[words[0].lower()] = words[1:]
    return found


def assert_security_headers(response, where: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy")
    assert csp, f"{where}: no Content-Security-Policy"
    policy = directives(csp)
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts is not None, f"{where}: CSP sets no script-src"
    assert "'self'" in scripts, where
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"} & set(scripts), where
    assert policy.get("object-src") == ["'none'"], where
    assert policy.get("base-uri") in (["'none'"], ["'self'"]), where
    assert policy.get("frame-ancestors") == ["'none'"], where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") in ("same-origin", "strict-origin-when-cross-origin", "no-referrer"), where


class PageScan(HTMLParser):
    """Finds what a CSP without 'unsafe-inline' would block, and the links to follow."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.links: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"inline event handler {name}= on <{tag}>")
            if name == "style":
                self.problems.append(f"inline style= on <{tag}> (blocked by style-src 'self')")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"javascript: URL in <{tag} {name}>")
        if tag == "script":
            src = attrs.get("src")
            if not src:
                self.problems.append("inline <script>")
            elif urlsplit(src).netloc:
                self.problems.append(f"<script> from another origin: {src}")
        if tag == "style":
            self.problems.append("<style> element (blocked by style-src 'self')")
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "") and urlsplit(attrs.get("href") or "").netloc:
            self.problems.append(f"stylesheet from another origin: {attrs.get('href')}")
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def crawl(client, start: list[str], limit: int = 80):
    """Follow same-site links breadth first (GET only: nothing is submitted)."""
    queue, seen, pages = deque(start), set(), []
    while queue and len(seen) < limit:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        pages.append((path, response))
        if not response.mimetype == "text/html":
            continue
        scan = PageScan()
        scan.feed(response.get_data(as_text=True))
        response.scan = scan
        for href in scan.links:
            target = urlsplit(urljoin("http://localhost" + path, href))
            if target.netloc != "localhost" or target.path.startswith("/static/"):
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return pages


DEMO_VISITORS = [
    (
        None,
        [
            "/",
            "/auth/login",
            "/auth/signup",
            "/auth/reset",
            "/auth/verify/nothing",
            "/auth/reset/nothing",
            "/auth/invite/nothing",
            "/no-such-page",
        ],
    ),
    ("candidate@example.com", ["/dashboard", "/auth/password", "/auth/verify"]),
    ("rejected@example.com", ["/dashboard"]),
    ("recruiter@example.com", ["/staff/", "/staff/positions/new", "/auth/invitations/new"]),
    ("manager@example.com", ["/staff/"]),
    ("admin@example.com", ["/staff/", "/admin/staff", "/admin/staff/new"]),
    ("hr@example.com", ["/staff/", "/dashboard"]),
]


def test_no_demo_page_needs_inline_script_or_style(app):
    demo.seed()
    problems, headerless, crawled = [], [], 0
    for email, start in DEMO_VISITORS:
        client = app.test_client()
        if email:
            login(client, email, password=demo.PASSWORD)
        for path, response in crawl(client, start):
            crawled += 1
            assert response.status_code < 500, f"{path} as {email}: {response.status_code}"
            try:
                assert_security_headers(response, f"{path} as {email}")
            except AssertionError as exc:
                headerless.append(str(exc))
            for problem in getattr(response, "scan", PageScan()).problems:
                problems.append(f"{path} as {email or 'anonymous'}: {problem}")
    assert crawled >= 40, f"only {crawled} pages crawled: did the demo change?"
    assert not headerless, "\n".join(headerless)
    assert not problems, "\n".join(sorted(set(problems)))


@pytest.mark.parametrize("path", ["/", "/auth/login", "/no-such-page", "/static/css/portal.css"])
def test_anonymous_pages_static_files_and_errors_carry_the_security_headers(client, path):
    response = client.get(path)
    assert_security_headers(response, path)


def test_error_page_of_a_refused_post_carries_the_security_headers(client):
    response = client.post("/auth/login", data={}, csrf=False)
    assert response.status_code == 400
    assert_security_headers(response, "CSRF failure")


def _cookie(response, name: str) -> str:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            return header
    raise AssertionError(f"no {name} cookie in {response.headers.getlist('Set-Cookie')}")


def _flags(cookie: str) -> set[str]:
    return {part.strip().lower() for part in cookie.split(";")[1:]}


def test_session_and_remember_cookies_are_httponly_and_samesite_lax(client, factory):
    candidate = factory.candidate("a@cand.example")
    response = login(client, candidate, remember=True)
    for name in ("candor_session", "candor_remember"):
        flags = _flags(_cookie(response, name))
        assert "httponly" in flags, name
        assert "samesite=lax" in flags, name
        assert "secure" not in flags, f"{name}: Secure on a plain-http site would lose the cookie"


def test_cookies_are_secure_on_an_https_site(make_app):
    from tests.helpers import Factory

    app = make_app(BASE_URL="https://candor.example", SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    with app.app_context():
        candidate = Factory().candidate("a@cand.example")
        client = app.test_client()
        client.environ_base["wsgi.url_scheme"] = "https"  # a secure cookie only travels over https
        client.environ_base["HTTP_REFERER"] = "https://localhost/auth/login"  # CSRF checks the referrer on https
        response = login(client, candidate, remember=True)
    for name in ("candor_session", "candor_remember"):
        flags = _flags(_cookie(response, name))
        assert {"secure", "httponly", "samesite=lax"} <= flags, name


@pytest.mark.parametrize(
    ("env", "secure"),
    [
        ({"BASE_URL": "https://jobs.example.com"}, True),
        ({"BASE_URL": "http://127.0.0.1:5000"}, False),
        ({}, False),
        ({"BASE_URL": "https://jobs.example.com", "SESSION_COOKIE_SECURE": "0"}, False),
        ({"BASE_URL": "http://jobs.internal", "SESSION_COOKIE_SECURE": "1"}, True),
    ],
)
def test_config_derives_secure_cookies_from_the_base_url(env, secure):
    config = config_module.load(env={"SECRET_KEY": "k", **env})
    assert config["SESSION_COOKIE_SECURE"] is secure
    assert config["REMEMBER_COOKIE_SECURE"] is secure
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


def test_https_site_asks_browsers_to_stay_on_https(make_app):
    app = make_app(BASE_URL="https://candor.example")
    with app.app_context():
        response = app.test_client().get("/")
    assert "max-age=" in response.headers.get("Strict-Transport-Security", "")


def test_plain_http_site_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


@pytest.mark.parametrize("path", ["/dashboard", "/positions", "/auth/password", "/no-such-page", "/staff/"])
def test_pages_of_a_signed_in_person_are_not_stored(client, factory, path):
    login(client, factory.candidate("a@cand.example"))
    response = client.get(path)
    assert "no-store" in response.headers.get("Cache-Control", ""), (path, response.status_code)


def test_staff_pages_are_not_stored(client, factory):
    login(client, factory.staff("recruiter"))
    for path in ("/staff/", "/staff/positions", "/auth/invitations/new"):
        assert "no-store" in client.get(path).headers.get("Cache-Control", ""), path


def test_the_sign_in_answer_is_not_stored(client, factory):
    response = login(client, factory.candidate("a@cand.example"))
    assert "no-store" in response.headers.get("Cache-Control", "")


def test_static_files_may_be_cached_also_by_signed_in_people(client, factory):
    assert "no-store" not in client.get("/static/css/portal.css").headers.get("Cache-Control", "")
    login(client, factory.candidate("a@cand.example"))
    response = client.get("/static/css/portal.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_password_fields_are_not_echoed_back(client, factory):
    candidate = factory.candidate("a@cand.example")
    page = client.post("/auth/login", data={"email": candidate.email, "password": "wrong-password-123"})
    assert page.status_code == 401
    assert "wrong-password-123" not in page.get_data(as_text=True)
    assert PASSWORD not in page.get_data(as_text=True)
