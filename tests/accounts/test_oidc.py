"""Sign-in with OpenID Connect, end to end against a real provider on 127.0.0.1 (see conftest.py).

The Flask test client cannot reach another server, so the tests play the browser: the app's
redirect to the provider is followed with `requests` until the provider sends the browser back to
the callback, which the test client then opens. The app itself talks to the provider over real
HTTP (discovery, token endpoint, JWKS, userinfo).
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import pytest
import requests
from flask import current_app, url_for
from sqlalchemy import func, select

from portal.accounts.models import ExternalIdentity, User
from portal.audit.models import AuditEntry
from portal.config import oidc_providers
from portal.extensions import db
from tests.accounts.conftest import BASE_URL, CALLBACK_PATH
from tests.helpers import REMEMBER, is_signed_in, link_in, login, outbox, reloaded

LOGIN_PATH = "/auth/oidc/oidc/login"
NOT_COMPLETED = "Sign-in with that provider did not complete"


@pytest.fixture
def app(make_app, oidc_provider):
    app = make_app(OIDC_PROVIDERS=oidc_providers(oidc_provider.env()))
    with app.app_context():
        yield app


# --- playing the browser ---------------------------------------------------------------------------


def begin(client, next: str | None = None) -> str:
    """Press the provider button: the app answers with a redirect to the provider's authorization endpoint."""
    response = client.get(LOGIN_PATH, query_string={"next": next} if next is not None else None)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def at_provider(authorize_url: str, login_hint: str | None = None) -> str:
    """Follow the provider's redirects (it signs the hinted account in by itself) back to our callback.

    Returns the callback's path and query, as the browser would open it on the portal.
    """
    if login_hint:
        authorize_url += ("&" if "?" in authorize_url else "?") + urlencode({"login_hint": login_hint})
    url = authorize_url
    with requests.Session() as browser:  # a fresh browser: no provider session from an earlier test
        browser.trust_env = False  # never through a proxy: the provider is on loopback
        for _ in range(10):
            response = browser.get(url, allow_redirects=False, timeout=10)
            assert response.status_code in (302, 303), f"{url}: {response.status_code} {response.text[:500]}"
            url = requests.compat.urljoin(url, response.headers["Location"])
            parts = urlsplit(url)
            if parts.path == CALLBACK_PATH:
                assert url.startswith(BASE_URL + CALLBACK_PATH)
                return f"{parts.path}?{parts.query}"
    raise AssertionError(f"the provider never sent the browser back to {CALLBACK_PATH}")


def sign_in(client, login_hint: str = "vera", next: str | None = None):
    """The whole round trip; returns the portal's answer to the callback."""
    return client.get(at_provider(begin(client, next=next), login_hint))


def signed_in_user_id(client) -> int | None:
    with client.session_transaction() as session:
        user_id = session.get("_user_id")
    return int(user_id.split(":")[0]) if user_id else None


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def identities() -> list[ExternalIdentity]:
    db.session.expire_all()
    return list(db.session.scalars(select(ExternalIdentity).order_by(ExternalIdentity.id)))


def dashboard_url() -> str:
    with current_app.test_request_context():
        return url_for("candidate.dashboard")


def with_query(path_and_query: str, **changes) -> str:
    parts = urlsplit(path_and_query)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return f"{parts.path}?{urlencode(query)}"


# --- the sign-in page ------------------------------------------------------------------------------


def test_login_page_offers_the_configured_provider(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert f'href="{LOGIN_PATH}"' in page
    assert "Test SSO" in page

    page = client.get("/auth/login", query_string={"next": "/positions"}).get_data(as_text=True)
    assert f'href="{LOGIN_PATH}?next=/positions"' in page


def test_login_page_has_no_provider_button_and_no_route_when_none_is_configured(make_app):
    app = make_app(OIDC_PROVIDERS=[])
    client = app.test_client()
    assert LOGIN_PATH not in client.get("/auth/login").get_data(as_text=True)
    assert client.get(LOGIN_PATH).status_code == 404


def test_unknown_provider_is_not_found(client):
    assert client.get("/auth/oidc/nowhere/login").status_code == 404
    assert client.get("/auth/oidc/nowhere/callback?code=x&state=y").status_code == 404


def test_each_app_keeps_its_own_provider_configuration(app, make_app, client):
    # Authlib's registry is module-global; a second app (another test, the CLI) must not inherit our client.
    other = make_app(
        OIDC_PROVIDERS=oidc_providers(
            {"OIDC_ISSUER": "http://127.0.0.1:9", "OIDC_CLIENT_ID": "another-client", "OIDC_CLIENT_SECRET": "x"}
        )
    )

    assert other.extensions["oidc_clients"]["oidc"].client_id == "another-client"
    assert app.extensions["oidc_clients"]["oidc"].client_id != "another-client"
    assert sign_in(client, "vera").status_code == 302


# --- signing in ------------------------------------------------------------------------------------


def test_verified_email_signs_in_as_a_new_candidate_and_lands_on_the_dashboard(client, oidc_provider):
    authorize_url = begin(client)
    assert authorize_url.startswith(oidc_provider.issuer + "/")
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["redirect_uri"] == [BASE_URL + CALLBACK_PATH]
    assert query["scope"] == ["openid email profile"]
    assert query["nonce"] and query["state"]
    assert query["code_challenge_method"] == ["S256"]

    response = client.get(at_provider(authorize_url, "vera"))

    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert response.headers["Location"] == dashboard_url()
    user = db.session.scalar(select(User).where(User.email == "vera@example.com"))
    assert user is not None and user.is_candidate and user.active
    assert user.name == "Vera Verified"
    assert user.email_verified
    assert user.password_hash is None
    assert [(i.user_id, i.issuer, i.subject) for i in identities()] == [(user.id, oidc_provider.issuer, "vera")]
    assert signed_in_user_id(client) == user.id
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_id == user.id, AuditEntry.object_type == "users")
    )
    assert {"user.sign_up", "user.link_identity", "user.sign_in"} <= set(actions)

    dashboard = client.get(response.headers["Location"])
    assert dashboard.status_code == 200
    assert "You are signed in." in dashboard.get_data(as_text=True)


def test_second_sign_in_reuses_the_linked_account(app, oidc_provider):
    first_browser, second_browser = app.test_client(), app.test_client()
    assert sign_in(first_browser, "vera").status_code == 302
    first_id = signed_in_user_id(first_browser)

    response = sign_in(second_browser, "vera")

    assert response.status_code == 302
    assert signed_in_user_id(second_browser) == first_id
    assert user_count() == 1
    assert [(i.user_id, i.subject) for i in identities()] == [(first_id, "vera")]


def test_existing_password_account_is_not_opened_by_a_provider_vouching_for_its_email(client, factory, app):
    # Whoever holds the password (perhaps not the owner of the address) would keep access next to it.
    casey = factory.candidate("casey@example.com", name="Casey Candidate")

    response = sign_in(client, "casey")  # the provider spells it Casey@Example.com

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "An account with this email address already exists" in page
    assert "connect the sign-in on your account page" in page
    assert signed_in_user_id(client) is None
    assert identities() == []
    assert user_count() == 1
    login(app.test_client(), casey)  # the account is as it was


def test_unconfirmed_password_account_is_not_taken_over_by_provider_sign_in(client, factory):
    # Whoever signed up with this address never proved they own it; linking would let them in later.
    squatter = factory.candidate("casey@example.com", verified=False)

    response = sign_in(client, "casey")

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "An account with this email address already exists" in page
    # The owner did not create this account: nothing sends them to confirm it.
    assert "confirm" not in page.lower()
    assert "new password link" in page
    assert signed_in_user_id(client) is None
    assert identities() == []
    db.session.refresh(squatter)
    assert not squatter.email_verified


def test_signed_in_candidate_connects_the_provider_and_their_other_sessions_end(app, factory, oidc_provider):
    casey = factory.candidate("casey@example.com", name="Casey Candidate")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, casey, remember=True)
    login(phone, casey)
    version = casey.session_version

    response = sign_in(phone, "casey")  # the account page's "Connect" button, while signed in

    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/password"
    assert [(i.user_id, i.issuer, i.subject) for i in identities()] == [(casey.id, oidc_provider.issuer, "casey")]
    assert reloaded(casey).session_version > version
    assert is_signed_in(phone)
    assert not is_signed_in(laptop)
    restarted = app.test_client()
    restarted.set_cookie(REMEMBER, laptop.get_cookie(REMEMBER).value)
    assert not is_signed_in(restarted)  # the remember cookie issued before connecting is dead

    other = app.test_client()
    assert sign_in(other, "casey").status_code == 302  # from now on the provider opens the account
    assert signed_in_user_id(other) == casey.id


def test_the_account_page_offers_to_connect_the_provider(app, factory):
    browser = app.test_client()
    login(browser, factory.candidate("casey@example.com"))
    page = browser.get("/auth/password").get_data(as_text=True)
    assert f'href="{LOGIN_PATH}"' in page and "Connect Test SSO" in page


def test_an_unconfirmed_account_cannot_connect_a_provider(app, factory):
    casey = factory.candidate("casey@example.com", verified=False)
    browser = app.test_client()
    login(browser, casey)

    response = sign_in(browser, "casey")

    assert response.status_code == 400
    assert "Confirm your email address first" in response.get_data(as_text=True)
    assert identities() == []
    assert not reloaded(casey).email_verified


def test_a_provider_identity_of_another_account_is_not_moved_by_connecting(app, factory):
    assert sign_in(app.test_client(), "vera").status_code == 302
    casey = factory.candidate("casey@example.com")
    browser = app.test_client()
    login(browser, casey)

    response = sign_in(browser, "vera")

    assert response.status_code == 400
    assert "already connected to another account" in response.get_data(as_text=True)
    assert [i.user_id for i in identities()] != [casey.id]


def test_address_taken_before_its_owner_arrives_gives_its_creator_nothing(app, factory, oidc_provider):
    """Pre-registration takeover: Mallory signs up with Casey's address and stays signed in; Casey
    confirms from the mail without knowing that password, then uses single sign-on."""
    mallory = app.test_client()
    assert (
        mallory.post(
            "/auth/signup",
            data={
                "name": "Casey",
                "email": "casey@example.com",
                "password": "mallory's own password",
                "timezone": "UTC",
            },
        ).status_code
        == 302
    )
    login(mallory, "casey@example.com", "mallory's own password", remember=True)
    account = User.by_email("casey@example.com")
    version = account.session_version
    path = link_in(outbox("verify_email")[-1], "/auth/verify/")

    casey = app.test_client()
    page = casey.get(path)  # opening the link changes nothing by itself
    assert page.status_code == 200 and not reloaded(account).email_verified
    assert casey.post(path, data={"password": "a guess"}).status_code == 401
    assert not reloaded(account).email_verified
    claimed = casey.post(
        path + "/claim", data={"password": "casey's real passphrase", "confirm": "casey's real passphrase"}
    )
    assert claimed.status_code == 302

    account = reloaded(account)
    assert account.email_verified and account.session_version > version
    assert not is_signed_in(mallory)
    restarted = app.test_client()
    restarted.set_cookie(REMEMBER, mallory.get_cookie(REMEMBER).value)
    assert not is_signed_in(restarted)
    refused = app.test_client().post(
        "/auth/login", data={"email": "casey@example.com", "password": "mallory's own password"}
    )
    assert refused.status_code == 401

    # Single sign-on: connected by Casey, signed in; Mallory's ways in stay closed.
    assert sign_in(casey, "casey").status_code == 302
    assert [i.user_id for i in identities()] == [account.id]
    assert signed_in_user_id(casey) == account.id
    assert not is_signed_in(mallory) and not is_signed_in(restarted)


def test_staff_account_is_not_taken_over_by_provider_sign_in(client, factory):
    # A staff account opens every candidate's data; an issuer vouching for the address is not enough.
    factory.staff("admin", "recruiter", email="casey@example.com")

    response = sign_in(client, "casey")

    assert response.status_code == 400
    assert "Staff accounts sign in with their email and password" in response.get_data(as_text=True)
    assert signed_in_user_id(client) is None
    assert identities() == []


def test_unverified_email_at_the_provider_is_refused(client):
    response = sign_in(client, "ursula")

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "has not verified your email address" in page
    assert user_count() == 0
    assert identities() == []
    assert signed_in_user_id(client) is None


def test_a_non_ascii_local_part_from_the_provider_creates_no_account(client):
    response = sign_in(client, "nadia")

    assert response.status_code == 400
    assert "characters before the @" in response.get_data(as_text=True)
    assert user_count() == 0
    assert signed_in_user_id(client) is None


def test_a_provider_name_with_hidden_characters_is_not_used(client):
    assert sign_in(client, "rtl").status_code == 302
    assert db.session.scalar(select(User.name).where(User.email == "rtl@example.com")) == "rtl"


def test_deactivated_linked_account_is_refused(app):
    assert sign_in(app.test_client(), "vera").status_code == 302
    user = db.session.scalar(select(User).where(User.email == "vera@example.com"))
    user.active = False
    db.session.commit()

    browser = app.test_client()
    response = sign_in(browser, "vera")

    assert response.status_code == 400
    assert "deactivated" in response.get_data(as_text=True)
    assert signed_in_user_id(browser) is None


def test_provider_refusal_is_shown_and_nobody_is_signed_in(client):
    # An unknown login_hint makes the test provider answer access_denied, as when someone cancels there.
    response = sign_in(client, "nobody-there")

    assert response.status_code == 400
    assert NOT_COMPLETED in response.get_data(as_text=True)
    assert user_count() == 0
    assert signed_in_user_id(client) is None


# --- what the callback must refuse -----------------------------------------------------------------


def test_tampered_state_is_refused(client):
    callback = at_provider(begin(client), "vera")

    response = client.get(with_query(callback, state="forged-state"))

    assert response.status_code == 400
    assert NOT_COMPLETED in response.get_data(as_text=True)
    assert signed_in_user_id(client) is None
    assert user_count() == 0


def test_callback_without_a_login_started_in_this_browser_is_refused(app):
    # Login CSRF: an attacker's own callback URL, opened in the victim's browser, must not sign them in.
    callback = at_provider(begin(app.test_client()), "mallory")
    victim = app.test_client()

    response = victim.get(callback)

    assert response.status_code == 400
    assert signed_in_user_id(victim) is None
    assert user_count() == 0


def test_replayed_callback_is_refused(client):
    callback = at_provider(begin(client), "vera")
    assert client.get(callback).status_code == 302
    user_id = signed_in_user_id(client)

    replay = client.get(callback)

    assert replay.status_code == 400
    assert NOT_COMPLETED in replay.get_data(as_text=True)
    assert user_count() == 1
    assert len(identities()) == 1
    assert signed_in_user_id(client) == user_id  # the earlier sign-in is untouched


def test_id_token_for_another_nonce_is_refused(client, caplog):
    authorize_url = begin(client)
    # The session's nonce no longer matches the one the provider will put in the ID token.
    with client.session_transaction() as session:
        (key,) = [k for k in session if k.startswith("_state_oidc_")]
        entry = session[key]
        entry["data"]["nonce"] = "a-nonce-from-another-login"
        session[key] = entry

    with caplog.at_level(logging.WARNING):
        response = client.get(at_provider(authorize_url, "vera"))

    assert response.status_code == 400
    assert "nonce" in caplog.text
    assert signed_in_user_id(client) is None
    assert user_count() == 0


def test_code_issued_to_another_login_is_refused(app, caplog):
    # Code injection: an attacker's authorization code, delivered with the victim's own state.
    victim, attacker = app.test_client(), app.test_client()
    victim_state = parse_qs(urlsplit(begin(victim)).query)["state"][0]
    attacker_callback = at_provider(begin(attacker), "mallory")

    with caplog.at_level(logging.WARNING):
        response = victim.get(with_query(attacker_callback, state=victim_state))

    assert response.status_code == 400
    assert "invalid_grant" in caplog.text  # PKCE: the code is bound to the attacker's code_verifier
    assert signed_in_user_id(victim) is None
    assert user_count() == 0


def test_response_naming_another_issuer_is_refused(client, caplog):
    # RFC 9207: the provider names itself in the response, which exposes a mix-up between providers.
    callback = at_provider(begin(client), "vera")

    with caplog.at_level(logging.WARNING):
        response = client.get(with_query(callback, iss="https://other-issuer.example"))

    assert response.status_code == 400
    assert "other-issuer.example" in caplog.text
    assert signed_in_user_id(client) is None
    assert user_count() == 0


def test_provider_announces_the_iss_parameter(app):
    # The two tests below rely on it; oidc-provider announces RFC 9207 support.
    metadata = app.extensions["oidc_clients"]["oidc"].load_server_metadata()
    assert metadata.get("authorization_response_iss_parameter_supported") is True


def test_response_without_iss_is_refused_when_the_provider_announces_it(client, caplog):
    callback = at_provider(begin(client), "vera")
    parts = urlsplit(callback)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "iss"]
    assert len(query) < len(parse_qsl(parts.query)), "the provider sent no iss to remove"

    with caplog.at_level(logging.WARNING):
        response = client.get(f"{parts.path}?{urlencode(query)}")

    assert response.status_code == 400
    assert "without iss" in caplog.text
    assert signed_in_user_id(client) is None
    assert user_count() == 0


@pytest.mark.parametrize("order", ["genuine first", "forged first"])
def test_response_with_two_iss_values_is_refused(client, oidc_provider, caplog, order):
    callback = at_provider(begin(client), "vera")
    parts = urlsplit(callback)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "iss"]
    pair = [oidc_provider.issuer, "https://other-issuer.example"]
    if order == "forged first":
        pair.reverse()
    query += [("iss", value) for value in pair]

    with caplog.at_level(logging.WARNING):
        response = client.get(f"{parts.path}?{urlencode(query)}")

    assert response.status_code == 400
    assert "2 iss parameters" in caplog.text
    assert signed_in_user_id(client) is None
    assert user_count() == 0


# --- where the browser goes after signing in -------------------------------------------------------


def test_local_next_is_honoured(client):
    response = sign_in(client, "vera", next="/positions?page=2")

    assert response.status_code == 302
    assert response.headers["Location"] == "/positions?page=2"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]
)
def test_foreign_next_is_ignored(client, target):
    response = sign_in(client, "vera", next=target)

    assert response.status_code == 302
    assert response.headers["Location"] == dashboard_url()
