"""A session ends when it should: after a password change or reset elsewhere, and on deactivation."""

from __future__ import annotations

from datetime import timedelta

from portal.accounts import services as accounts
from portal.accounts.models import TokenPurpose
from portal.extensions import db
from tests.helpers import PASSWORD, login

NEW_PASSWORD = "another long password 7"
SESSION, REMEMBER = "candor_session", "candor_remember"


def _signed_in(client, path: str = "/dashboard") -> bool:
    response = client.get(path)
    return response.status_code == 200


def _replay(app, cookies: dict[str, str]):
    """A new browser holding copies of cookies taken earlier (as a thief would)."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def _cookies(client, *names) -> dict[str, str]:
    found = {}
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, f"no {name} cookie"
        found[name] = cookie.value
    return found


def test_changing_the_password_signs_out_every_other_session(app, factory):
    candidate = factory.candidate("a@cand.example")
    here, elsewhere, remembered = app.test_client(), app.test_client(), app.test_client()
    login(here, candidate)
    login(elsewhere, candidate)
    login(remembered, candidate, remember=True)
    old_session = _cookies(elsewhere, SESSION)
    old_remember = _cookies(remembered, REMEMBER)
    assert _signed_in(elsewhere) and _signed_in(remembered)

    response = here.post(
        "/auth/password", data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302

    assert _signed_in(here), "the device that changed the password stays signed in"
    assert not _signed_in(elsewhere)
    assert not _signed_in(remembered)
    assert not _signed_in(_replay(app, old_session)), "an old session cookie must not work"
    assert not _signed_in(_replay(app, old_remember)), "an old remember-me cookie must not work"


def test_resetting_the_password_signs_out_every_session(app, factory):
    candidate = factory.candidate("a@cand.example")
    signed_in = app.test_client()
    login(signed_in, candidate, remember=True)
    old = _cookies(signed_in, SESSION, REMEMBER)
    raw = accounts.issue_token(candidate, TokenPurpose.RESET_PASSWORD, timedelta(hours=1))
    db.session.commit()

    other = app.test_client()
    response = other.post(f"/auth/reset/{raw}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302

    assert not _signed_in(signed_in)
    assert not _signed_in(_replay(app, old))
    assert _signed_in(other)


def test_wrong_current_password_changes_nothing_and_keeps_other_sessions(app, factory):
    candidate = factory.candidate("a@cand.example")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, candidate)
    login(elsewhere, candidate)
    response = here.post(
        "/auth/password", data={"current": "not my password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 422
    assert _signed_in(elsewhere)
    login(app.test_client(), candidate)  # the old password still works


def test_deactivated_staff_account_loses_its_session_at_once(app, factory):
    admin = factory.staff("admin", email="admin@staff.example")
    person = factory.staff("recruiter", email="rita@staff.example", name="Rita Recruiter")
    admin_client, session_client, remembered = app.test_client(), app.test_client(), app.test_client()
    login(admin_client, admin)
    login(session_client, person)
    login(remembered, person, remember=True)
    old = _cookies(remembered, SESSION, REMEMBER)
    assert _signed_in(session_client, "/staff/positions")

    response = admin_client.post(f"/admin/staff/{person.id}", data={"name": "Rita Recruiter", "roles": "recruiter"})
    assert response.status_code == 302  # no "active" box: deactivated

    for client in (session_client, remembered, _replay(app, old)):
        response = client.get("/staff/positions")
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
        assert client.post("/staff/positions/new", data={"title": "x", "team": "y"}).status_code == 302
    refused = app.test_client().post("/auth/login", data={"email": person.email, "password": PASSWORD})
    assert refused.status_code == 401


def test_removing_a_role_takes_effect_on_the_next_request(app, factory):
    admin = factory.staff("admin", email="admin@staff.example")
    person = factory.staff("recruiter", "interviewer", email="rita@staff.example", name="Rita Recruiter")
    admin_client, client = app.test_client(), app.test_client()
    login(admin_client, admin)
    login(client, person)
    assert client.get("/staff/positions").status_code == 200

    response = admin_client.post(
        f"/admin/staff/{person.id}", data={"name": "Rita Recruiter", "roles": "interviewer", "active": "y"}
    )
    assert response.status_code == 302
    assert client.get("/staff/positions").status_code == 403
    assert client.get("/staff/").status_code == 200


def test_signing_out_ends_the_session_in_this_browser(app, factory):
    candidate = factory.candidate("a@cand.example")
    client = app.test_client()
    login(client, candidate, remember=True)
    assert client.post("/auth/logout").status_code == 302
    assert not _signed_in(client)
    assert client.get_cookie(REMEMBER) is None or client.get_cookie(REMEMBER).value == ""


def test_session_cookie_signed_with_another_key_is_ignored(make_app):
    from tests.helpers import Factory

    other = make_app(SECRET_KEY="a different secret key")
    with other.app_context():
        candidate = Factory().candidate("a@cand.example")
        thief = other.test_client()
        login(thief, candidate)
        forged = _cookies(thief, SESSION)
    app = make_app()
    with app.app_context():
        assert not _signed_in(_replay(app, forged))


def test_cookies_copied_before_sign_out_stop_working(app, factory):
    """On a shared computer, or after a cookie was copied: signing out revokes, not just forgets."""
    candidate = factory.candidate("a@cand.example")
    client = app.test_client()
    login(client, candidate, remember=True)
    session_copy, remember_copy = _cookies(client, SESSION), _cookies(client, REMEMBER)
    assert client.post("/auth/logout").status_code == 302
    assert not _signed_in(_replay(app, session_copy))
    assert not _signed_in(_replay(app, remember_copy))
