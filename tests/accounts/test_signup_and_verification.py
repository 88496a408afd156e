"""Candidate sign-up and email verification, as the candidate (and an attacker) would see them."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.accounts.models import OneTimeToken, User
from portal.audit.models import AuditEntry
from portal.extensions import db
from tests.helpers import PASSWORD, field_error, link_in, login, outbox, reloaded

NAME = "Ada Lovelace"
EMAIL = "ada@example.com"


def sign_up(client, **overrides):
    data = {"name": NAME, "email": EMAIL, "password": PASSWORD, "timezone": "Europe/Berlin"}
    data.update(overrides)
    return client.post("/auth/signup", data=data)


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def verification_link(index: int = -1) -> str:
    return link_in(outbox("verify_email")[index], "/auth/verify/")


def audit_actions(user) -> list[str]:
    return list(db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "users", AuditEntry.object_id == user.id)
        .order_by(AuditEntry.id)
    ))


def test_sign_up_creates_an_unverified_candidate_and_signs_them_in(client):
    response = sign_up(client, email="Ada@Example.COM")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/verify"

    user = User.by_email(EMAIL)
    assert user.email == EMAIL  # stored normalised
    assert user.name == NAME and user.timezone == "Europe/Berlin"
    assert user.is_candidate and not user.email_verified
    page = client.get("/auth/verify").get_data(as_text=True)
    assert "Confirm your email" in page and EMAIL in page


def test_sign_up_queues_one_verification_mail_with_a_link(client):
    sign_up(client)
    mails = outbox("verify_email")
    assert [m.to_addr for m in mails] == [EMAIL]
    assert "48 hours" in mails[0].body_text
    assert verification_link().startswith("/auth/verify/")


def test_candidate_pages_send_an_unverified_candidate_to_verify(client, factory):
    position = factory.position(title="Backend Engineer")
    sign_up(client)
    for path in ("/dashboard", f"/positions/{position.id}/apply"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/auth/verify", path
    # Public pages stay open.
    assert client.get("/positions").status_code == 200


def test_the_emailed_link_verifies_the_address_and_opens_candidate_pages(client):
    sign_up(client)
    response = client.get(verification_link())
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    assert reloaded(User.by_email(EMAIL)).email_verified
    # The pending page has nothing left to say.
    assert client.get("/auth/verify").headers["Location"] == "/dashboard"


def test_the_link_also_works_in_a_browser_that_is_not_signed_in(client, new_browser):
    sign_up(client)
    other = new_browser()
    response = other.get(verification_link())
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert reloaded(User.by_email(EMAIL)).email_verified


def test_a_used_verification_link_fails_the_second_time(client):
    sign_up(client)
    path = verification_link()
    assert client.get(path).status_code == 302
    response = client.get(path)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This link does not work" in page
    assert "was already used" in page
    assert '<nav class="container" aria-label="Main">' in page  # the portal's own page, not a bare error


def test_an_expired_verification_link_fails_and_leaves_the_address_unverified(client, clock, app):
    sign_up(client)
    path = verification_link()
    clock.advance(hours=app.config["VERIFY_TOKEN_HOURS"], seconds=1)
    response = client.get(path)
    assert response.status_code == 400
    assert "This link does not work" in response.get_data(as_text=True)
    assert not reloaded(User.by_email(EMAIL)).email_verified


def test_a_verification_link_still_works_just_before_it_expires(client, clock, app):
    sign_up(client)
    clock.advance(hours=app.config["VERIFY_TOKEN_HOURS"], seconds=-60)
    assert client.get(verification_link()).status_code == 302
    assert reloaded(User.by_email(EMAIL)).email_verified


@pytest.mark.parametrize("token", ["garbage", "x" * 43, "y" * 500, "%00", "..%2F..%2Fadmin"])
def test_a_made_up_verification_token_fails(client, token):
    sign_up(client)
    response = client.get(f"/auth/verify/{token}")
    assert response.status_code in (400, 404)
    assert not reloaded(User.by_email(EMAIL)).email_verified


def test_only_a_hash_of_the_token_is_stored(client):
    sign_up(client)
    raw = verification_link().rsplit("/", 1)[1]
    stored = db.session.scalar(select(OneTimeToken.token_hash))
    assert raw not in stored and len(stored) == 64


def test_a_password_reset_link_cannot_verify_an_address(client, factory):
    """Tokens are bound to their purpose: a link for one thing opens nothing else."""
    candidate = factory.candidate("grace@example.com", verified=False)
    client.post("/auth/reset", data={"email": candidate.email})
    raw = link_in(outbox("reset_password")[-1], "/auth/reset/").rsplit("/", 1)[1]
    assert client.get(f"/auth/verify/{raw}").status_code == 400
    assert not reloaded(candidate).email_verified


def test_resend_sends_a_new_link_that_verifies(client):
    sign_up(client)
    response = client.post("/auth/verify/resend")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/verify"
    mails = outbox("verify_email")
    assert len(mails) == 2
    assert verification_link(0) != verification_link(1)
    assert client.get(verification_link(1)).status_code == 302
    assert reloaded(User.by_email(EMAIL)).email_verified


def test_resend_needs_a_signed_in_account(client):
    response = client.post("/auth/verify/resend")
    assert response.headers["Location"].startswith("/auth/login")
    assert outbox("verify_email") == []


def test_resend_after_verification_sends_nothing(client):
    sign_up(client)
    client.get(verification_link())
    client.post("/auth/verify/resend")
    assert len(outbox("verify_email")) == 1


@pytest.mark.parametrize(
    ("field", "overrides", "message"),
    [
        ("email", {"email": "not-an-email"}, "Invalid email address."),
        ("email", {"email": ""}, "This field is required."),
        ("password", {"password": "short"}, "Use at least 10 characters."),
        ("password", {"password": EMAIL}, "Do not use your email address as the password."),
        ("name", {"name": ""}, "This field is required."),
        ("name", {"name": "   "}, "This field is required."),
        ("timezone", {"timezone": "Mars/Olympus_Mons"}, "Not a valid choice."),
    ],
)
def test_bad_sign_up_input_is_refused_next_to_the_field_and_creates_nothing(client, field, overrides, message):
    response = sign_up(client, **overrides)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in field_error(page, field)
    assert "Please correct the field marked below." in page
    # What was typed stays, except the password.
    for name in ("name", "email"):
        typed = overrides.get(name, {"name": NAME, "email": EMAIL}[name])
        if typed.strip():
            assert f'value="{typed}"' in page, name
    assert re.search(r'<input [^>]*id="password" [^>]*value=""', page)
    assert PASSWORD not in page
    assert user_count() == 0
    assert outbox() == []
    assert client.get("/dashboard").headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize("taken", [EMAIL, "ADA@example.com", "  Ada@Example.com "])
def test_sign_up_with_a_taken_email_is_refused_whatever_its_case(client, factory, taken):
    factory.candidate(EMAIL)
    mails_before = len(outbox())
    response = sign_up(client, email=taken, name="Someone Else")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "An account with this email already exists." in field_error(page, "email")
    assert 'value="Someone Else"' in page
    assert user_count() == 1
    assert len(outbox()) == mails_before
    assert reloaded(User.by_email(EMAIL)).name == "Casey Candidate"


def test_a_sign_up_racing_another_for_the_same_email_gets_the_message_not_an_error(client, factory, monkeypatch):
    """Both requests checked before either committed: the unique index decides, the loser sees the message."""
    factory.candidate(EMAIL)
    monkeypatch.setattr(User, "by_email", classmethod(lambda cls, email: None))
    response = sign_up(client)
    assert response.status_code == 422
    assert "An account with this email already exists." in field_error(response.get_data(as_text=True), "email")
    assert user_count() == 1


def test_sign_up_with_a_staff_email_is_refused(client, factory):
    factory.staff("recruiter", email="rita@example.com")
    response = sign_up(client, email="Rita@example.com")
    assert response.status_code == 422
    assert user_count() == 1


def test_a_signed_in_person_is_sent_home_from_sign_up(client, factory):
    login(client, factory.candidate("grace@example.com"))
    response = sign_up(client)
    assert response.headers["Location"] == "/dashboard"
    assert User.by_email(EMAIL) is None


def test_sign_up_and_verification_are_audited(client):
    sign_up(client)
    client.get(verification_link())
    user = User.by_email(EMAIL)
    assert audit_actions(user)[:2] == ["user.sign_up", "user.verify_email"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.verify_email"))
    assert entry.actor_id == user.id
