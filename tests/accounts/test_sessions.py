"""Sessions: signing in and out, remember-me, and which sessions a password change ends."""

from __future__ import annotations


import pytest

from portal.extensions import db
from tests.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    REMEMBER,
    SESSION,
    change_password,
    field_error,
    is_signed_in,
    login,
    only_remember_cookie_of,
    reloaded,
)


# Signing in


def test_sign_in_opens_the_home_page_of_the_account(client, factory):
    candidate = factory.candidate("ada@example.com")
    response = login(client, candidate)
    assert response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200


def test_sign_in_is_refused_for_an_unknown_csrf_token(client, factory):
    candidate = factory.candidate("ada@example.com")
    response = client.post("/auth/login", data={"email": candidate.email, "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 400
    assert not is_signed_in(client)


@pytest.mark.parametrize(
    "target", ["//evil.example/", "/\\evil.example", "https://evil.example/", "javascript:alert(1)"]
)
def test_sign_in_never_redirects_off_site(client, factory, target):
    candidate = factory.candidate("ada@example.com")
    response = client.post(f"/auth/login?next={target}", data={"email": candidate.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


def test_sign_in_returns_to_the_page_that_asked_for_it(client, factory):
    candidate = factory.candidate("ada@example.com")
    assert client.get("/auth/password").headers["Location"] == "/auth/login?next=/auth/password"
    response = client.post("/auth/login?next=/auth/password", data={"email": candidate.email, "password": PASSWORD})
    assert response.headers["Location"] == "/auth/password"


def test_sign_in_is_recorded_in_the_audit_log(client, factory):
    from portal.audit.models import AuditEntry

    candidate = factory.candidate("ada@example.com")
    login(client, candidate)
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "user.sign_in"))
    assert entry is not None and entry.actor_id == candidate.id and entry.data["method"] == "password"


def test_session_and_remember_cookies_are_http_only_and_same_site(client, factory):
    candidate = factory.candidate("ada@example.com")
    login(client, candidate, remember=True)
    for name in (SESSION, REMEMBER):
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        assert cookie.http_only and cookie.same_site == "Lax", name


def test_signed_in_pages_are_not_cached(client, factory):
    login(client, factory.candidate("ada@example.com"))
    assert client.get("/dashboard").headers["Cache-Control"] == "no-store"


# Remember me


def test_remember_me_keeps_a_new_browser_session_signed_in(client, factory, new_browser):
    candidate = factory.candidate("ada@example.com")
    login(client, candidate, remember=True)
    restarted = only_remember_cookie_of(client, new_browser)
    response = restarted.get("/dashboard")
    assert response.status_code == 200
    assert "My applications" in response.get_data(as_text=True)


def test_without_remember_me_no_remember_cookie_is_set(client, factory, new_browser):
    candidate = factory.candidate("ada@example.com")
    login(client, candidate)
    assert client.get_cookie(REMEMBER) is None
    restarted = new_browser()
    assert restarted.get("/dashboard").headers["Location"].startswith("/auth/login")


def test_remember_cookie_stops_working_after_a_password_change(client, factory, new_browser):
    candidate = factory.candidate("ada@example.com")
    login(client, candidate, remember=True)
    stolen = only_remember_cookie_of(client, new_browser)

    elsewhere = new_browser()
    login(elsewhere, candidate)
    assert change_password(elsewhere).status_code == 302

    assert stolen.get("/dashboard").headers["Location"].startswith("/auth/login")
    assert not is_signed_in(client)


def test_remember_cookie_stops_working_after_a_password_reset(client, factory, new_browser):
    from tests.helpers import link_in, outbox

    candidate = factory.candidate("ada@example.com")
    login(client, candidate, remember=True)
    stolen = only_remember_cookie_of(client, new_browser)

    owner = new_browser()
    owner.post("/auth/reset", data={"email": candidate.email})
    path = link_in(outbox("reset_password")[-1], "/auth/reset/")
    assert owner.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302

    assert stolen.get("/dashboard").headers["Location"].startswith("/auth/login")


def test_changing_password_keeps_this_device_remembered(client, factory, new_browser):
    candidate = factory.candidate("ada@example.com")
    login(client, candidate, remember=True)
    assert change_password(client).status_code == 302
    restarted = only_remember_cookie_of(client, new_browser)
    assert restarted.get("/dashboard").status_code == 200


def test_a_forged_remember_cookie_signs_nobody_in(client, factory, new_browser):
    candidate = factory.candidate("ada@example.com")
    forged = new_browser()
    forged.set_cookie(REMEMBER, f"{candidate.id}:1|{'0' * 128}")
    assert forged.get("/dashboard").headers["Location"].startswith("/auth/login")


# Signing out


def test_sign_out_is_post_only(client, factory):
    login(client, factory.candidate("ada@example.com"))
    assert client.get("/auth/logout").status_code == 405
    assert is_signed_in(client)


def test_sign_out_needs_the_pages_csrf_token(client, factory):
    """Another site cannot sign someone out with a hidden form."""
    login(client, factory.candidate("ada@example.com"))
    assert client.post("/auth/logout", csrf=False).status_code == 400
    assert is_signed_in(client)


def test_sign_out_clears_the_session(client, factory):
    login(client, factory.candidate("ada@example.com"), remember=True)
    with client.session_transaction() as session:
        session["left_behind"] = "something from the visit"

    response = client.post("/auth/logout")
    assert response.status_code == 302

    with client.session_transaction() as session:
        assert "_user_id" not in session
        assert "left_behind" not in session
    assert client.get_cookie(REMEMBER) is None
    assert client.get("/dashboard").headers["Location"].startswith("/auth/login")
    assert "You are signed out." in client.get("/positions").get_data(as_text=True)


def test_after_sign_out_the_next_person_can_sign_in_on_the_same_browser(client, factory):
    login(client, factory.candidate("ada@example.com"))
    client.post("/auth/logout")
    other = factory.candidate("grace@example.com", name="Grace Hopper")
    login(client, other)
    assert "Grace Hopper" in client.get("/dashboard").get_data(as_text=True)


def test_account_page_changes_name_and_time_zone(app, client, factory):
    candidate = factory.candidate("tz@example.com")
    login(client, candidate)
    page = client.get("/auth/password").get_data(as_text=True)
    assert 'name="timezone"' in page and "Casey Candidate" in page
    response = client.post("/auth/profile", data={"name": "Casey C.", "timezone": "America/New_York"})
    assert response.status_code == 302
    assert (reloaded(candidate).name, reloaded(candidate).timezone) == ("Casey C.", "America/New_York")
    response = client.post("/auth/profile", data={"name": "Kept Name", "timezone": "Mars/Olympus"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Kept Name" in page and field_error(page, "timezone")
    assert reloaded(candidate).timezone == "America/New_York"
