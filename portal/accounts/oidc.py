"""Sign-in with OpenID Connect (any configured issuer, Google) and GitHub, through Authlib.

Authlib discovers the issuer's endpoints, sends a PKCE challenge, and checks state (against the
session) and the ID token's signature, issuer, audience, expiry and nonce. We accept only email
addresses the provider says it has verified.
"""

from __future__ import annotations

from authlib.integrations.flask_client import OAuth
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.accounts import services as accounts
from portal.accounts.models import ExternalIdentity, User, email_problem, normalise_email
from portal.accounts.views import home_for, remembered_here
from portal.errors import DomainError
from portal.extensions import db, limiter
from portal.forms import has_visible_character, hidden_characters, strip_control_characters
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
            kwargs.update(
                authorize_url=provider.authorize_url,
                access_token_url=provider.access_token_url,
                api_base_url=provider.api_base_url,
            )
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
    """Send the browser to the provider; Authlib keeps state and nonce in the session.

    Started while signed in (the account page's "Connect" button), the provider identity is
    connected to that account when the browser comes back.
    """
    client = _client(provider)
    session["oidc_next"] = safe_next(request.args.get("next"), "")
    if current_user.is_authenticated:
        session["oidc_link_to"] = current_user.get_id()
    else:
        session.pop("oidc_link_to", None)
    redirect_uri = current_app.config["BASE_URL"] + url_for("oidc.callback", provider=provider)
    return client.authorize_redirect(redirect_uri)


@bp.route("/<provider>/callback", methods=["GET"])
@limiter.limit("20 per minute")
@policy.public
def callback(provider: str):
    """Finish sign-in: exchange the code, check the ID token, find or create the account."""
    client = _client(provider)
    # Only the browser that pressed "Connect" while signed in as this very session connects.
    link_to = session.pop("oidc_link_to", None)
    linking = link_to is not None and current_user.is_authenticated and current_user.get_id() == link_to
    try:
        _check_issuer(client)
        token = client.authorize_access_token()
        issuer, subject, email, verified, name = _claims(provider, client, token)
        if linking:
            user = connect_identity(current_user._get_current_object(), issuer=issuer, subject=subject)
        else:
            user = link_identity(issuer=issuer, subject=subject, email=email, email_verified=verified, name=name)
    except SignInRefused as exc:
        return render_template("accounts/sign_in_refused.html", message=exc.message), 400
    except Exception as exc:  # state mismatch, bad token, provider error: nothing about it reaches the page
        current_app.logger.warning("OIDC sign-in with %s failed: %s", provider, exc)
        return render_template(
            "accounts/sign_in_refused.html",
            message="Sign-in with that provider did not complete. Please try again.",
        ), 400
    if linking:
        # Connecting ended every other session (session version moved on); this browser stays signed in.
        login_user(user, remember=remembered_here(user.id))
        flash(
            f"{provider_label(provider)} is connected: you can sign in with it from now on. "
            "Other devices are signed out.",
            "success",
        )
        return redirect(url_for("accounts.change_password"))
    login_user(user)
    accounts.record_sign_in(user, f"oidc:{provider}")
    flash("You are signed in.", "success")
    return redirect(safe_next(session.pop("oidc_next", ""), home_for(user)))


def provider_label(name: str) -> str:
    for provider in current_app.config["OIDC_PROVIDERS"]:
        if provider.name == name:
            return provider.label
    return "Single sign-on"


def _check_issuer(client) -> None:
    """RFC 9207: the response names its issuer, which is how a mix-up attack shows itself.

    A provider that announces the parameter always sends it, so a response without it (or with two,
    one of them chosen by an attacker) did not come from that provider as it is.
    """
    metadata = client.load_server_metadata()
    issuer = metadata.get("issuer")
    returned = request.args.getlist("iss")
    if len(returned) > 1:
        raise ValueError(f"authorization response with {len(returned)} iss parameters")
    if not returned:
        if metadata.get("authorization_response_iss_parameter_supported"):
            raise ValueError(f"authorization response without iss, but {issuer!r} announces it")
        return
    if issuer and returned[0] != issuer:
        raise ValueError(f"authorization response from issuer {returned[0]!r}, expected {issuer!r}")


def _claims(provider: str, client, token) -> tuple[str, str, str, bool, str]:
    if provider == "github":
        profile = client.get("user", token=token).json()
        emails = client.get("user/emails", token=token).json()
        primary = next((e for e in emails if e.get("primary") and e.get("verified")), None)
        if primary is None:
            raise SignInRefused("Your GitHub account has no verified primary email address.")
        return (
            "https://github.com",
            str(profile["id"]),
            primary["email"],
            True,
            profile.get("name") or profile.get("login") or "",
        )
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


EXISTING_ACCOUNT = (
    "An account with this email address already exists. To use this sign-in with it, sign in with the "
    "account's password and connect the sign-in on your account page. Forgot the password, or never "
    "chose one? Ask for a new password link from the sign-in page."
)


@transactional
def link_identity(*, issuer: str, subject: str, email: str, email_verified: bool, name: str) -> User:
    """The account for this provider identity: linked before, or new.

    An address alone never opens an existing account: whoever holds its password (perhaps someone
    who signed up with another person's address) would keep access next to the provider identity.
    Existing accounts connect a provider while signed in (connect_identity).
    """
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
    if email_problem(email):
        raise SignInRefused(
            "The provider's email address for you has characters before the @ that our mail "
            "cannot be delivered to, so we cannot create an account with it."
        )
    user = User.by_email(email)
    if user is not None:
        if not user.active:
            raise SignInRefused("This account is deactivated.")
        if user.is_staff:
            # A staff account opens every candidate's data: staff sign in with their password.
            raise SignInRefused("Staff accounts sign in with their email and password.")
        raise SignInRefused(EXISTING_ACCOUNT)
    user = User(email=email, name=_display_name(name, email), email_verified_at=utcnow())
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        # The same address signed up in the meantime: that account is not opened by the address either.
        raise SignInRefused(EXISTING_ACCOUNT) from None
    audit.record("user.sign_up", user, actor=user, method="oidc", issuer=issuer)
    db.session.add(ExternalIdentity(user=user, issuer=issuer, subject=subject))
    audit.record("user.link_identity", user, actor=user, issuer=issuer)
    db.session.flush()
    return user


def _display_name(name: str, email: str) -> str:
    """The provider's name for the person, if it is one line of visible text; else the address's local part."""
    name = " ".join((name or "").split())[:120]
    hidden = hidden_characters(name) or strip_control_characters(name) != name
    if not name or hidden or not has_visible_character(name):
        return email.split("@")[0][:120]
    return name


@transactional
def connect_identity(user: User, *, issuer: str, subject: str) -> User:
    """Connect a provider identity to the signed-in account, ending every other session of it.

    Only a confirmed account: an unconfirmed one may belong to someone who used another person's
    address, and the identity would outlive the owner's claim on it.
    """
    user = db.session.get(User, user.id)
    if not user.active:
        raise SignInRefused("This account is deactivated.")
    if user.is_staff:
        raise SignInRefused("Staff accounts sign in with their email and password.")
    if not user.email_verified:
        raise SignInRefused("Confirm your email address first (with the link we sent you), then connect this sign-in.")
    identity = db.session.scalar(
        select(ExternalIdentity).where(ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject)
    )
    if identity is not None and identity.user_id != user.id:
        raise SignInRefused("This sign-in is already connected to another account.")
    if identity is None:
        db.session.add(ExternalIdentity(user=user, issuer=issuer, subject=subject))
    # Whatever sessions existed before the account gained a new way in end now.
    user.session_version += 1
    audit.record("user.link_identity", user, actor=user, issuer=issuer)
    db.session.flush()
    return user
