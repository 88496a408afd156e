"""`next=` only ever leads to a page of this site, however the address is disguised."""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit

import pytest

from portal.security.web import is_safe_next, safe_next
from tests.helpers import PASSWORD, login

SITE = "http://127.0.0.1:5000"

UNSAFE = [
    None,
    "",
    "//evil.example",
    "//evil.example/dashboard",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil",
    "\\/evil.example",
    "/\\/evil.example",
    "http://evil",
    "https://evil.example/dashboard",
    "HTTP://evil.example",
    "http:evil.example",
    "https:/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "dashboard",
    "\t//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/ /evil.example",
    " //evil.example",
    "/\x00/evil.example",
    "/\x7f/evil.example",
    "/dashboard\nSet-Cookie: x=1",
]

SAFE = [
    "/",
    "/dashboard",
    "/applications/12",
    "/staff/positions/3/pipeline?status=active&q=ada",
    "/positions#apply",
    "/%2F%2Fevil.example",  # an encoded slash is part of a path here, not a host
    "/%5Cevil.example",
    "/.//evil.example",  # dot segments are path, the host is already fixed
]


@pytest.mark.parametrize("target", UNSAFE)
def test_unsafe_next_targets_are_refused(target):
    assert is_safe_next(target) is False
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", SAFE)
def test_local_paths_are_accepted_and_stay_on_this_site(target):
    assert is_safe_next(target) is True
    resolved = urlsplit(urljoin(SITE + "/auth/login", target))
    assert resolved.netloc == "127.0.0.1:5000"
    assert resolved.scheme == "http"


def test_non_string_targets_are_refused():
    assert is_safe_next(b"/dashboard") is False  # type: ignore[arg-type]
    assert is_safe_next(["/dashboard"]) is False  # type: ignore[arg-type]


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)"])
def test_sign_in_with_a_foreign_next_lands_on_the_home_page(client, factory, target):
    candidate = factory.candidate("a@cand.example")
    response = client.post(
        f"/auth/login?next={quote(target, safe='')}", data={"email": candidate.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https://evil.example"])
def test_a_foreign_next_in_the_form_body_is_ignored_too(client, factory, target):
    staff = factory.staff("recruiter")
    response = client.post("/auth/login", data={"email": staff.email, "password": PASSWORD, "next": target})
    assert response.headers["Location"] == "/staff/"


def test_sign_in_honours_a_local_next(client, factory):
    staff = factory.staff("recruiter")
    response = client.post("/auth/login?next=/dashboard", data={"email": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


def test_sign_in_keeps_the_query_of_a_local_next(client, factory):
    candidate = factory.candidate("a@cand.example")
    target = "/positions?x=1&y=2"
    response = client.post(
        f"/auth/login?next={quote(target, safe='')}", data={"email": candidate.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == target


def test_the_sign_in_page_does_not_carry_a_foreign_next(client):
    page = client.get("/auth/login?next=//evil.example").get_data(as_text=True)
    assert "evil.example" not in page


def test_signed_in_visitor_with_a_foreign_next_goes_home(client, factory):
    candidate = factory.candidate("a@cand.example")
    login(client, candidate)
    response = client.get("/auth/login?next=//evil.example")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


def test_sign_out_goes_to_a_local_page(client, factory):
    login(client, factory.candidate("a@cand.example"))
    response = client.post("/auth/logout?next=//evil.example")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).netloc in ("", "127.0.0.1:5000", "localhost")
