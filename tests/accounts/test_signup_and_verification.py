"""Candidate sign-up and email verification, as the candidate (and an attacker) would see them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.accounts.models import OneTimeToken, User
from portal.audit.models import AuditEntry
from portal.extensions import db
from tests.helpers import PASSWORD, REMEMBER, field_error, is_signed_in, link_in, login, outbox, reloaded

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
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "users", AuditEntry.object_id == user.id)
            .order_by(AuditEntry.id)
        )
    )


def confirm(client, path: str, password: str | None = PASSWORD):
    """Press the confirm button on the page the emailed link opens (with the password when not signed in)."""
    return client.post(path, data={} if password is None else {"password": password})


def signed_in_user_id(client):
    with client.session_transaction() as session:
        return session.get("_user_id")


def test_sign_up_creates_an_unverified_candidate_and_asks_them_to_check_their_mail(client):
    response = sign_up(client, email="Ada@Example.COM")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/signup/sent"

    user = User.by_email(EMAIL)
    assert user.email == EMAIL  # stored normalised
    assert user.name == NAME and user.timezone == "Europe/Berlin"
    assert user.is_candidate and not user.email_verified
    page = client.get("/auth/signup/sent").get_data(as_text=True)
    assert "Check your email" in page and EMAIL in page
    assert signed_in_user_id(client) is None


def test_sign_up_queues_one_verification_mail_with_a_link(client):
    sign_up(client)
    mails = outbox("verify_email")
    assert [m.to_addr for m in mails] == [EMAIL]
    assert "48 hours" in mails[0].body_text
    assert verification_link().startswith("/auth/verify/")


def test_candidate_pages_send_an_unverified_candidate_to_verify(client, factory):
    position = factory.position(title="Backend Engineer")
    sign_up(client)
    login(client, EMAIL)
    for path in ("/dashboard", f"/positions/{position.id}/apply"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/auth/verify", path
    page = client.get("/auth/verify").get_data(as_text=True)
    assert "Confirm your email" in page and EMAIL in page
    # Public pages stay open.
    assert client.get("/positions").status_code == 200


def test_opening_the_link_confirms_nothing_so_mail_scanners_cannot(client, new_browser):
    sign_up(client)
    path = verification_link()
    for browser in (new_browser(), new_browser(), client):
        page = browser.get(path)
        assert page.status_code == 200
        assert "Confirm your email address" in page.get_data(as_text=True)
    assert not reloaded(User.by_email(EMAIL)).email_verified
    assert confirm(new_browser(), path).status_code == 302  # the link is still good
    assert reloaded(User.by_email(EMAIL)).email_verified


def test_signed_in_the_emailed_link_confirms_with_one_button(client):
    sign_up(client)
    login(client, EMAIL)
    page = client.get(verification_link()).get_data(as_text=True)
    assert "Confirm my email address" in page and 'name="password"' not in page
    response = confirm(client, verification_link(), password=None)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    assert reloaded(User.by_email(EMAIL)).email_verified
    # The pending page has nothing left to say.
    assert client.get("/auth/verify").headers["Location"] == "/dashboard"


def test_confirming_needs_the_pages_csrf_token(client):
    sign_up(client)
    login(client, EMAIL)
    response = client.post(verification_link(), data={}, csrf=False)
    assert response.status_code in (400, 422)
    assert not reloaded(User.by_email(EMAIL)).email_verified


def test_in_a_browser_that_is_not_signed_in_the_password_confirms_and_signs_in(client, new_browser):
    sign_up(client)
    other = new_browser()
    page = other.get(verification_link()).get_data(as_text=True)
    assert 'name="password"' in page
    response = confirm(other, verification_link())
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    assert other.get("/dashboard").status_code == 200
    assert reloaded(User.by_email(EMAIL)).email_verified


@pytest.mark.parametrize("password", ["not the password", ""])
def test_the_link_without_the_accounts_password_confirms_nothing(client, new_browser, password):
    sign_up(client)
    other = new_browser()
    response = confirm(other, verification_link(), password=password)
    assert response.status_code in (401, 422)
    assert not reloaded(User.by_email(EMAIL)).email_verified
    assert signed_in_user_id(other) is None
    assert confirm(other, verification_link()).status_code == 302  # the right password still works


def test_a_wrong_password_is_answered_next_to_the_field(client, new_browser):
    sign_up(client)
    response = confirm(new_browser(), verification_link(), password="not the password")
    assert response.status_code == 401
    assert "That is not the password of this account." in field_error(response.get_data(as_text=True), "password")


def test_signed_in_as_someone_else_the_button_alone_does_not_confirm(client, factory):
    sign_up(client)
    path = verification_link()
    login(client, factory.candidate("grace@example.com"))
    assert 'name="password"' in client.get(path).get_data(as_text=True)
    assert confirm(client, path, password=None).status_code == 422
    assert not reloaded(User.by_email(EMAIL)).email_verified


def test_a_used_verification_link_fails_the_second_time(client):
    sign_up(client)
    path = verification_link()
    assert confirm(client, path).status_code == 302
    for response in (client.get(path), confirm(client, path)):
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "This link does not work" in page
        assert "was already used" in page
        assert '<nav class="container" aria-label="Main">' in page  # the portal's own page, not a bare error


def test_an_expired_verification_link_fails_and_leaves_the_address_unverified(client, clock, app):
    sign_up(client)
    path = verification_link()
    clock.advance(hours=app.config["VERIFY_TOKEN_HOURS"], seconds=1)
    response = confirm(client, path)
    assert response.status_code == 400
    assert "This link does not work" in response.get_data(as_text=True)
    assert not reloaded(User.by_email(EMAIL)).email_verified


def test_a_verification_link_still_works_just_before_it_expires(client, clock, app):
    sign_up(client)
    clock.advance(hours=app.config["VERIFY_TOKEN_HOURS"], seconds=-60)
    assert confirm(client, verification_link()).status_code == 302
    assert reloaded(User.by_email(EMAIL)).email_verified


@pytest.mark.parametrize("token", ["garbage", "x" * 43, "y" * 500, "%00", "..%2F..%2Fadmin"])
def test_a_made_up_verification_token_fails(client, token):
    sign_up(client)
    for response in (client.get(f"/auth/verify/{token}"), confirm(client, f"/auth/verify/{token}")):
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
    assert confirm(client, f"/auth/verify/{raw}").status_code == 400
    assert client.get(f"/auth/verify/{raw}/claim").status_code == 400
    assert not reloaded(candidate).email_verified


def test_resend_sends_a_new_link_that_verifies(client):
    sign_up(client)
    login(client, EMAIL)
    response = client.post("/auth/verify/resend")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/verify"
    mails = outbox("verify_email")
    assert len(mails) == 2
    assert verification_link(0) != verification_link(1)
    assert confirm(client, verification_link(1), password=None).status_code == 302
    assert reloaded(User.by_email(EMAIL)).email_verified


def test_resend_needs_a_signed_in_account(client):
    response = client.post("/auth/verify/resend")
    assert response.headers["Location"].startswith("/auth/login")
    assert outbox("verify_email") == []


def test_resend_after_verification_sends_nothing(client):
    sign_up(client)
    login(client, EMAIL)
    confirm(client, verification_link(), password=None)
    client.post("/auth/verify/resend")
    assert len(outbox("verify_email")) == 1


# Someone signed up with another person's address: the owner takes the account over from the mail.

MALLORY_PASSWORD = "mallory's own password"
OWNER_PASSWORD = "the owner's real passphrase"


@pytest.fixture
def squatted(client, new_browser):
    """Mallory signed up with Ada's address and stays signed in, remembered; Ada has the mail."""
    sign_up(client, name="Mallory", password=MALLORY_PASSWORD)
    login(client, EMAIL, MALLORY_PASSWORD, remember=True)
    restarted = new_browser()
    restarted.set_cookie(REMEMBER, client.get_cookie(REMEMBER).value)
    assert is_signed_in(restarted)
    return client, restarted, User.by_email(EMAIL).session_version


def test_the_owner_of_the_address_claims_the_account_and_its_creator_loses_every_way_in(squatted, new_browser):
    mallory, mallory_restarted, version = squatted
    ada = new_browser()
    path = verification_link()
    assert "Choose a new password" in ada.get(path).get_data(as_text=True)

    response = ada.post(path + "/claim", data={"password": OWNER_PASSWORD, "confirm": OWNER_PASSWORD})

    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    account = reloaded(User.by_email(EMAIL))
    assert account.email_verified
    assert account.session_version > version  # every session and remember cookie issued before is void
    assert not is_signed_in(mallory)
    assert not is_signed_in(mallory_restarted)
    refused = new_browser().post("/auth/login", data={"email": EMAIL, "password": MALLORY_PASSWORD})
    assert refused.status_code == 401
    login(new_browser(), EMAIL, OWNER_PASSWORD)
    assert ada.get("/dashboard").status_code == 200
    assert "user.claim_account" in audit_actions(account)


def test_a_claim_link_works_once(squatted, new_browser):
    path = verification_link() + "/claim"
    assert new_browser().post(path, data={"password": OWNER_PASSWORD, "confirm": OWNER_PASSWORD}).status_code == 302
    again = new_browser().post(path, data={"password": "another passphrase", "confirm": "another passphrase"})
    assert again.status_code == 400
    login(new_browser(), EMAIL, OWNER_PASSWORD)


def test_a_weak_claim_password_changes_nothing(squatted, new_browser):
    mallory, _, version = squatted
    response = new_browser().post(verification_link() + "/claim", data={"password": "short", "confirm": "short"})
    assert response.status_code == 422
    account = reloaded(User.by_email(EMAIL))
    assert not account.email_verified and account.session_version == version
    assert is_signed_in(mallory)


def test_the_creator_signed_in_cannot_confirm_without_the_mail(squatted):
    mallory, _, _ = squatted
    assert mallory.post("/auth/verify/resend").status_code == 302  # the new link goes to the owner's mailbox
    assert all(m.to_addr == EMAIL for m in outbox("verify_email"))
    assert not reloaded(User.by_email(EMAIL)).email_verified


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


def _page_without_tokens(response) -> str:
    return re.sub(r'content="[^"]*"|value="[^"]*"', "", response.get_data(as_text=True))


@pytest.mark.parametrize("taken", [EMAIL, "ADA@example.com", "  Ada@Example.com "])
def test_sign_up_with_a_taken_email_answers_exactly_like_a_new_one(make_app, factory, taken):
    factory.candidate(EMAIL)
    app = make_app()
    new, existing = app.test_client(), app.test_client()

    answers = [sign_up(new, email="new-person@example.com"), sign_up(existing, email=taken, name="Someone Else")]

    assert [(r.status_code, r.headers["Location"]) for r in answers] == [(302, "/auth/signup/sent")] * 2
    pages = [_page_without_tokens(browser.get("/auth/signup/sent")) for browser in (new, existing)]
    assert pages[0].replace("new-person@example.com", EMAIL) == pages[1]
    assert signed_in_user_id(new) is None and signed_in_user_id(existing) is None
    assert user_count() == 2
    assert reloaded(User.by_email(EMAIL)).name == "Casey Candidate"


def test_sign_up_does_the_same_password_hashing_for_a_taken_address(client, factory, monkeypatch):
    from portal.accounts import services as accounts

    factory.candidate(EMAIL)
    hashed = []
    real = accounts.hash_password
    monkeypatch.setattr(accounts, "hash_password", lambda password: hashed.append(password) or real(password))

    sign_up(client, email="new-person@example.com", password="first passphrase")
    sign_up(client, email=EMAIL, password="second passphrase")

    assert hashed == ["first passphrase", "second passphrase"]


def test_the_owner_of_a_taken_address_hears_of_the_attempt_once_a_day(client, factory, clock):
    factory.candidate(EMAIL, name="Ada Lovelace")
    for _ in range(5):
        sign_up(client, name="Your account is locked, verify at https://evil.example")
    [notice] = outbox("sign_up_attempt")
    assert notice.to_addr == EMAIL
    assert notice.subject == "Someone tried to sign up with your address"
    assert "Hello Ada Lovelace," in notice.body_text
    assert "evil.example" not in notice.body_text and "/auth/login" in notice.body_text
    assert len(outbox("verify_email")) == 1  # the factory's own sign-up; none for the attempts

    clock.advance(hours=25)
    sign_up(client)
    assert len(outbox("sign_up_attempt")) == 2


def test_a_sign_up_racing_another_for_the_same_email_answers_like_any_other(client, factory, monkeypatch):
    """Both requests checked before either committed: the unique index decides, the loser sees the same page."""
    factory.candidate(EMAIL)
    monkeypatch.setattr(User, "by_email", classmethod(lambda cls, email: None))
    response = sign_up(client)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/signup/sent"
    assert user_count() == 1


def test_sign_up_with_a_staff_email_creates_nothing_and_signs_nobody_in(client, factory):
    factory.staff("recruiter", email="rita@example.com")
    response = sign_up(client, email="Rita@example.com")
    assert response.headers["Location"] == "/auth/signup/sent"
    assert user_count() == 1
    assert signed_in_user_id(client) is None


def test_a_signed_in_person_is_sent_home_from_sign_up(client, factory):
    login(client, factory.candidate("grace@example.com"))
    response = sign_up(client)
    assert response.headers["Location"] == "/dashboard"
    assert User.by_email(EMAIL) is None


def test_sign_up_and_verification_are_audited(client):
    sign_up(client)
    confirm(client, verification_link())
    user = User.by_email(EMAIL)
    assert audit_actions(user)[:2] == ["user.sign_up", "user.verify_email"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.verify_email"))
    assert entry.actor_id == user.id


# Names: nothing invisible or direction-changing, and nothing repeated in mail before the address is proven.


@pytest.mark.parametrize(
    "name",
    [
        "Ada\u200bLovelace",
        "\u202eecalevoL adA",
        "Ada \u2066Lovelace\u2069",
        "Ada\u2028Lovelace",
        "Ada\u2029Lovelace",
        "Ada\x85Lovelace",
        "Ada\x9bLovelace",
        "Ada\u00adLovelace",
        "\u200d",
        "\u3164",
        "\u3164\u3164",
        "\u2800",
        "\u0301",
    ],
)
def test_names_with_invisible_or_direction_changing_characters_are_refused(client, name):
    response = sign_up(client, name=name)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "name")
    assert user_count() == 0 and outbox() == []


@pytest.mark.parametrize("name", ["Ada Lovelace", "علی\u200cرضا", "José Ñúñez", "李小龙", "Zoë 👩\u200d💻"])
def test_names_in_any_script_are_accepted(client, name):
    assert sign_up(client, name=name).status_code == 302
    assert User.by_email(EMAIL).name == name


PHISHING_NAME = "Your account is locked, verify at https://evil.example"


def test_mail_before_the_address_is_confirmed_does_not_repeat_the_name_given(client, new_browser):
    sign_up(client, name=PHISHING_NAME)
    new_browser().post("/auth/reset", data={"email": EMAIL})
    login(client, EMAIL)
    client.post(
        "/auth/password",
        data={"current": PASSWORD, "password": "a brand new passphrase", "confirm": "a brand new passphrase"},
    )
    mails = outbox()
    assert {m.kind for m in mails} >= {"verify_email", "reset_password", "password_changed"}
    for mail in mails:
        assert "evil.example" not in mail.body_text and "evil.example" not in mail.body_html, mail.kind
        assert "evil.example" not in mail.subject
        assert mail.body_text.startswith("Hello,"), mail.kind


def test_mail_after_the_address_is_confirmed_greets_by_name(client, new_browser):
    sign_up(client)
    confirm(client, verification_link())
    new_browser().post("/auth/reset", data={"email": EMAIL})
    assert outbox("reset_password")[-1].body_text.startswith(f"Hello {NAME},")


# Addresses: one spelling per mailbox.


def test_a_fullwidth_look_alike_address_is_the_same_account(client, factory, new_browser):
    factory.candidate("candidate@example.com")
    response = sign_up(client, email="\uff43andidate@example.com")  # fullwidth c
    assert response.headers["Location"] == "/auth/signup/sent"
    assert user_count() == 1
    [notice] = outbox("sign_up_attempt")
    assert notice.to_addr == "candidate@example.com"
    login(new_browser(), "\uff43andidate@EXAMPLE.com")
    new_browser().post("/auth/reset", data={"email": "\uff43andidate@example.com"})
    assert [m.to_addr for m in outbox("reset_password")] == ["candidate@example.com"]


@pytest.mark.parametrize("email", ["c\u00e1ndido@example.com", "\u0441andidate@example.com"])  # Latin á, Cyrillic с
def test_a_non_ascii_local_part_is_refused_with_a_clear_message(client, email):
    response = sign_up(client, email=email)
    assert response.status_code == 422
    assert "only Latin letters" in field_error(response.get_data(as_text=True), "email")
    assert user_count() == 0 and outbox() == []


def test_an_international_domain_is_accepted_and_stored_normalised(client):
    assert sign_up(client, email="ada@B\u00dcCHER.example").status_code == 302
    assert User.by_email("ada@b\u00fccher.example") is not None
