"""Sign-in, sign-up and reset requests are rate limited, and the limit answers with the portal's page.

Flask-Limiter is one object shared by every app in the process; each test builds exactly one app
with limits on, so its in-memory counters start at zero.
"""
from __future__ import annotations

import pytest

from tests.helpers import Factory

LIMIT = 10  # "10 per minute" on each form


@pytest.fixture
def limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        yield app


def _assert_portal_429(response):
    assert response.status_code == 429
    body = response.get_data(as_text=True)
    assert "Candor" in body and "Too many attempts" in body
    assert "Traceback" not in body and "flask_limiter" not in body.lower()
    assert response.headers.get("Content-Security-Policy")
    assert int(response.headers["Retry-After"]) > 0


FORMS = {
    "sign-in": ("/auth/login", lambda i: {"email": "someone@cand.example", "password": f"wrong password {i}"}, 401),
    "sign-up": ("/auth/signup", lambda i: {"name": "", "email": f"x{i}@cand.example", "password": "short"}, 422),
    "reset": ("/auth/reset", lambda i: {"email": f"nobody{i}@cand.example"}, 200),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_eleventh_attempt_within_a_minute_is_refused_with_429(limited, form):
    path, data, normal_status = FORMS[form]
    client = limited.test_client()
    for attempt in range(LIMIT):
        assert client.post(path, data=data(attempt)).status_code == normal_status, attempt
    _assert_portal_429(client.post(path, data=data(LIMIT)))


def test_limited_sign_in_refuses_even_the_right_password(limited):
    candidate = Factory().candidate("a@cand.example")
    client = limited.test_client()
    for attempt in range(LIMIT):
        client.post("/auth/login", data={"email": candidate.email, "password": f"guess {attempt}"})
    response = client.post("/auth/login", data={"email": candidate.email, "password": "correct horse battery"})
    _assert_portal_429(response)
    assert client.get("/dashboard").status_code == 302  # still signed out


def test_reading_the_forms_is_not_limited(limited):
    client = limited.test_client()
    for _ in range(LIMIT + 5):
        assert client.get("/auth/login").status_code == 200


def test_each_form_has_its_own_budget(limited):
    client = limited.test_client()
    for attempt in range(LIMIT + 1):
        client.post("/auth/login", data={"email": "x@cand.example", "password": f"p{attempt}"})
    assert client.post("/auth/login", data={"email": "x@cand.example", "password": "p"}).status_code == 429
    assert client.post("/auth/reset", data={"email": "x@cand.example"}).status_code == 200


def test_password_reset_link_form_is_limited_too(limited):
    client = limited.test_client()
    for attempt in range(LIMIT):
        assert client.post(f"/auth/reset/guess-{attempt}", data={"password": "x"}).status_code == 400
    _assert_portal_429(client.post("/auth/reset/guess-last", data={"password": "x"}))


def test_successful_sign_ins_do_not_use_up_the_limit(limited):
    """People behind one office address sign in all day; only failed attempts count."""
    candidate = Factory().candidate("busy@cand.example")
    for _ in range(LIMIT + 5):
        client = limited.test_client()
        response = client.post("/auth/login", data={"email": candidate.email, "password": "correct horse battery"})
        assert response.status_code == 302


def test_guesses_at_one_account_from_many_addresses_are_limited(limited):
    candidate = Factory().candidate("target@cand.example")
    for attempt in range(20):
        client = limited.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.{attempt}.1"
        assert client.post("/auth/login", data={"email": candidate.email, "password": f"guess {attempt}"}).status_code == 401
    client = limited.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.99.1"
    _assert_portal_429(client.post("/auth/login", data={"email": candidate.email, "password": "guess again"}))


def test_reset_mails_to_one_account_are_capped_per_hour(limited):
    from portal.extensions import db
    from tests.helpers import outbox

    candidate = Factory().candidate("flooded@cand.example")
    for attempt in range(8):
        client = limited.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.1.{attempt}.1"
        response = client.post("/auth/reset", data={"email": candidate.email})
        assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    db.session.expire_all()
    assert len(outbox("reset_password")) == 5
