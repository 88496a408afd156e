"""Sign-in with OpenID Connect (any configured issuer, Google) and GitHub, through Authlib.

Authlib discovers the issuer's endpoints, sends a PKCE challenge, and checks state (against the
session) and the ID token's signature, issuer, audience, expiry and nonce. We accept only email
addresses the provider says it has verified.
"""
from __future__ import annotations

from authlib.integrations.flask_client import OAuth
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import login_user
from sqlalchemy import select

from portal import audit
from portal.accounts import services as accounts
from portal.accounts.models import ExternalIdentity, User, normalise_email
from portal.accounts.views import home_for
from portal.errors import DomainError
from portal.extensions import db, limiter
from portal.unit_of_work import transactional
from portal.security import policy
from portal.security.web import safe_next
from portal.timeutil import utcnow

bp = Blueprint("oidc", __name__, url_prefix="/auth/oidc")


class SignInRefused(DomainError):
    status = 400


def init_app(app) -> None:
    # One Authlib registry per app: a registry caches clients by name, so a shared one would let an
    # app talk to the issuer (with the client secret) that another app was configured with.
    registry = OAuth(app)
    clients = {}
    for provider in app.config["OIDC_PROVIDERS"]:
        kwargs = dict(
            name=provider.name,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            client_kwargs={"scope": provider.scope},
            overwrite=True,
        )
        if provider.server_metadata_url:
            kwargs["server_metadata_url"] = provider.server_metadata_url
            # PKCE binds the code to this browser's login: a code stolen or injected elsewhere is useless.
            kwargs["client_kwargs"]["code_challenge_method"] = "S256"
        else:
            kwargs.update(authorize_url=provider.authorize_url, access_token_url=provider.access_token_url,
                          api_base_url=provider.api_base_url)
        clients[provider.name] = registry.register(**kwargs)
    app.extensions["oidc_clients"] = clients
    app.register_blueprint(bp)


def _client(name: str):
    client = current_app.extensions["oidc_clients"].get(name)
    if client is None:
        abort(404)
    return client


@bp.route("/<provider>/login", methods=["GET"])
@limiter.limit("20 per minute")
@policy.public
def start(provider: str):
    """Send the browser to the provider; Authlib keeps state and nonce in the session."""
    client = _client(provider)
    session["oidc_next"] = safe_next(request.args.get("next"), "")
    redirect_uri = current_app.config["BASE_URL"] + url_for("oidc.callback", provider=provider)
    return client.authorize_redirect(redirect_uri)


@bp.route("/<provider>/callback", methods=["GET"])
@limiter.limit("20 per minute")
@policy.public
def callback(provider: str):
    """Finish sign-in: exchange the code, check the ID token, find or create the account."""
    client = _client(provider)
    try:
        _check_issuer(client)
        token = client.authorize_access_token()
        issuer, subject, email, verified, name = _claims(provider, client, token)
        user = link_identity(issuer=issuer, subject=subject, email=email, email_verified=verified, name=name)
    except SignInRefused as exc:
        return render_template("accounts/sign_in_refused.html", message=exc.message), 400
    except Exception as exc:  # state mismatch, bad token, provider error: nothing about it reaches the page
        current_app.logger.warning("OIDC sign-in with %s failed: %s", provider, exc)
        return render_template(
            "accounts/sign_in_refused.html",
            message="Sign-in with that provider did not complete. Please try again.",
        ), 400
    login_user(user)
    accounts.record_sign_in(user, f"oidc:{provider}")
    flash("You are signed in.", "success")
    return redirect(safe_next(session.pop("oidc_next", ""), home_for(user)))


def _check_issuer(client) -> None:
    """Refuse a response naming another issuer (RFC 9207), which is how a mix-up attack shows itself."""
    issuer = client.load_server_metadata().get("issuer")
    returned = request.args.get("iss")
    if issuer and returned is not None and returned != issuer:
        raise ValueError(f"authorization response from issuer {returned!r}, expected {issuer!r}")


def _claims(provider: str, client, token) -> tuple[str, str, str, bool, str]:
    if provider == "github":
        profile = client.get("user", token=token).json()
        emails = client.get("user/emails", token=token).json()
        primary = next((e for e in emails if e.get("primary") and e.get("verified")), None)
        if primary is None:
            raise SignInRefused("Your GitHub account has no verified primary email address.")
        return ("https://github.com", str(profile["id"]), primary["email"], True,
                profile.get("name") or profile.get("login") or "")
    id_claims = token.get("userinfo")  # the ID token's claims, checked by Authlib
    if not id_claims:
        raise SignInRefused("The provider did not send an ID token.")
    claims = id_claims
    if "email" not in id_claims:
        # A provider that issues an access token may keep scope claims (email, name) for its userinfo
        # endpoint (OpenID Connect Core 5.4); oidc-provider and others do.
        claims = client.userinfo(token=token)
        # Core 5.3.2: userinfo about anyone but the ID token's subject must not be used.
        if str(claims.get("sub")) != str(id_claims["sub"]):
            raise ValueError("userinfo subject does not match the ID token")
    # Some providers send the boolean as a string.
    verified = claims.get("email_verified") in (True, "true")
    return (id_claims["iss"], str(id_claims["sub"]), claims.get("email") or "", verified, claims.get("name") or "")


@transactional
def link_identity(*, issuer: str, subject: str, email: str, email_verified: bool, name: str) -> User:
    """The account for this provider identity: linked before, matched by verified email, or new."""
    identity = db.session.scalar(
        select(ExternalIdentity).where(ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject)
    )
    if identity is not None:
        if not identity.user.active:
            raise SignInRefused("This account is deactivated.")
        return identity.user
    if not email or not email_verified:
        raise SignInRefused("The provider has not verified your email address, so we cannot use it to sign you in.")
    email = normalise_email(email)
    user = User.by_email(email)
    if user is None:
        user = User(email=email, name=(name or email.split("@")[0])[:120], email_verified_at=utcnow())
        db.session.add(user)
        db.session.flush()
        audit.record("user.sign_up", user, actor=user, method="oidc", issuer=issuer)
    elif not user.active:
        raise SignInRefused("This account is deactivated.")
    elif user.is_staff:
        # A staff account opens every candidate's data: an issuer vouching for the address is not
        # enough to take it over. Staff sign in with their password.
        raise SignInRefused("Staff accounts sign in with their email and password.")
    elif not user.email_verified:
        # Whoever signed up with this address never proved they own it: linking would keep their password
        # working on the owner's account (pre-account hijacking). The owner can reset the password instead.
        raise SignInRefused(
            "An account with this email address exists, but the address is not confirmed yet. Sign in with "
            "your password and confirm it, or reset your password, and then you can use this sign-in."
        )
    db.session.add(ExternalIdentity(user=user, issuer=issuer, subject=subject))
    audit.record("user.link_identity", user, actor=user, issuer=issuer)
    db.session.flush()
    return user
