"""Sign-up, sign-in and out, email verification, password reset and change, invitations."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_login.utils import decode_cookie

from sqlalchemy.orm import joinedload

from portal.accounts import services as accounts
from portal.accounts.forms import (
    ChangePasswordForm,
    ConfirmWithPasswordForm,
    InviteCandidateForm,
    LoginForm,
    NewPasswordForm,
    ProfileForm,
    ResetRequestForm,
    SignUpForm,
)
from portal.accounts.models import OneTimeToken, Role, TokenPurpose, User, normalise_email
from portal.accounts.throttle import SignInThrottled
from portal.errors import DomainError
from portal.extensions import account_key, db, limiter, login_manager
from portal.forms import EmptyForm, choices
from portal.hiring.models import Position, PositionStatus
from portal.security import policy
from portal.security.web import safe_next

bp = Blueprint("accounts", __name__, url_prefix="/auth")

# Per client address, on the forms that create accounts, send mail or spend a link. Sign-in has its
# own throttle (portal/accounts/throttle.py), per account and per address and account, so people
# behind one office address do not lock each other out.
AUTH_LIMIT = "10 per minute"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, version = (session_id or "").partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    if len(user_id) > 9:
        return None
    # The roles come in the same query: every staff page asks for them at once.
    user = db.session.get(User, int(user_id), options=[joinedload(User.role_rows)])
    if user is None or user.session_version != int(version) or not user.active:
        return None
    return user


login_manager.login_view = "accounts.login"
login_manager.login_message = "Please sign in to continue."
login_manager.session_protection = "basic"


def home_for(user: User) -> str:
    return url_for("staff.home") if user.is_staff else url_for("candidate.dashboard")


def _finish_sign_in(user: User, remember: bool = False, method: str = "password"):
    login_user(user, remember=remember)
    accounts.record_sign_in(user, method)
    return redirect(safe_next(request.args.get("next") or request.form.get("next"), home_for(user)))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(f"{AUTH_LIMIT}; 200 per hour", methods=["POST"])
@policy.public
def signup():
    """Create a candidate account and send the verification email."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            accounts.sign_up(
                name=form.name.data, email=form.email.data, password=form.password.data, timezone=form.timezone.data
            )
        except accounts.EmailTaken:
            # Answered exactly as a new account is, so the form cannot tell who has an account here;
            # the owner of the address is told by mail instead.
            accounts.notify_sign_up_attempt(form.email.data)
        except DomainError as exc:
            form.email.errors.append(exc.message)
            return render_template("accounts/signup.html", form=form), 422
        # Nobody is signed in here: a taken address must not look different (the session would say so).
        session["signup_email"] = normalise_email(form.email.data)
        return redirect(url_for("accounts.signup_sent"))
    return render_template("accounts/signup.html", form=form), 422 if request.method == "POST" else 200


@bp.route("/signup/sent", methods=["GET"])
@policy.public
def signup_sent():
    """After sign-up: the link to continue is in the mailbox."""
    return render_template(
        "accounts/signup_sent.html",
        email=session.get("signup_email", ""),
        hours=current_app.config["VERIFY_TOKEN_HOURS"],
    )


@bp.route("/login", methods=["GET", "POST"])
@policy.public
def login():
    """Sign in with email and password, or with a configured OpenID Connect provider."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), home_for(current_user)))
    form = LoginForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            user = accounts.sign_in(form.email.data, form.password.data, request.remote_addr)
        except SignInThrottled as exc:
            form.password.errors.append(exc.message)
            status, headers = 429, {"Retry-After": str(exc.retry_after)}
        else:
            if user is not None:
                return _finish_sign_in(user, remember=form.remember.data)
            form.password.errors.append("That email and password do not match an account.")
            status = 401
    elif request.method == "POST":
        status = 422
    providers = current_app.config["OIDC_PROVIDERS"]
    return (
        render_template(
            "accounts/login.html", form=form, providers=providers, next=safe_next(request.args.get("next"), "")
        ),
        status,
        headers,
    )


@bp.route("/logout", methods=["POST"])
@policy.public
def logout():
    """Sign out (POST only, so no link on another site can sign someone out)."""
    # Nothing of the signed-in visit stays in the cookie (OIDC state, CSRF secret, messages) on a
    # shared computer. logout_user() after clear() so its "forget the remember cookie" mark survives.
    if current_user.is_authenticated:
        # Sessions live in signed cookies: a copy taken before sign-out would still work, so
        # sign-out moves the account's session version on, which voids every cookie issued so far.
        accounts.end_sessions(current_user)
    session.clear()
    g.pop("csrf_token", None)  # the cached token belonged to the cleared session
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("candidate.positions"))


@bp.route("/verify", methods=["GET"])
@policy.signed_in
def verify_pending():
    """Ask a newly signed-up candidate to confirm their email."""
    if current_user.email_verified:
        return redirect(home_for(current_user))
    return render_template("accounts/verify_pending.html", form=EmptyForm())


@bp.route("/verify/resend", methods=["POST"])
@limiter.limit("5 per hour", key_func=account_key)
@policy.signed_in
def resend_verification():
    """Send a fresh verification link."""
    if EmptyForm().validate_on_submit():
        accounts.resend_verification(current_user)
        flash("We sent you a new link. It may take a minute to arrive.", "info")
    return redirect(url_for("accounts.verify_pending"))


def _link_invalid(purpose: TokenPurpose, message: str = "This link is invalid, has expired or was already used."):
    return render_template("accounts/link_invalid.html", message=message, purpose=purpose.value), 400


@bp.route("/verify/<token>", methods=["GET", "POST"])
@policy.public
def verify(token: str):
    """Confirm an email address from the emailed link: a button, never on the GET alone.

    Mail scanners open links; only the person signed in to the account (or who types its
    password here) confirms it. Someone who did not create the account claims it instead.
    """
    found: OneTimeToken | None = accounts.peek_token(token, TokenPurpose.VERIFY_EMAIL)
    if found is None:
        return _link_invalid(TokenPurpose.VERIFY_EMAIL)
    owner = found.user
    signed_in_here = current_user.is_authenticated and current_user.id == owner.id
    form = EmptyForm() if signed_in_here else ConfirmWithPasswordForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            # A password typed here is a sign-in attempt like any other: the same throttle applies.
            user = owner if signed_in_here else accounts.sign_in(owner.email, form.password.data, request.remote_addr)
        except SignInThrottled as exc:
            form.password.errors.append(exc.message)
            return (
                render_template(
                    "accounts/verify_confirm.html", form=form, user=owner, token=token, signed_in_here=signed_in_here
                ),
                429,
                {"Retry-After": str(exc.retry_after)},
            )
        if user is None or user.id != owner.id:
            form.password.errors.append("That is not the password of this account.")
            status = 401
        else:
            try:
                accounts.verify_email(token, user)
            except DomainError as exc:
                return _link_invalid(TokenPurpose.VERIFY_EMAIL, exc.message)
            flash("Your email address is confirmed.", "success")
            if signed_in_here:
                return redirect(home_for(user))
            if current_user.is_authenticated:
                logout_user()
            return _finish_sign_in(user, method="verify_email")
    elif request.method == "POST":
        status = 422
    return (
        render_template(
            "accounts/verify_confirm.html", form=form, user=owner, token=token, signed_in_here=signed_in_here
        ),
        status,
        headers,
    )


@bp.route("/verify/<token>/claim", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
@policy.public
def claim_account(token: str):
    """The owner of the address who did not create the account (or forgot its password) sets one."""
    return _set_password_page(
        token,
        TokenPurpose.VERIFY_EMAIL,
        accounts.claim_account,
        "accounts/claim_account.html",
        "Your email address is confirmed and your password is set.",
    )


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
@policy.public
def request_reset():
    """Ask for a password reset link by email."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        return render_template(
            "accounts/reset_sent.html", email=form.email.data, minutes=current_app.config["RESET_TOKEN_MINUTES"]
        )
    return render_template("accounts/reset_request.html", form=form), 422 if request.method == "POST" else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
@policy.public
def reset_password(token: str):
    """Choose a new password from the emailed single-use link."""
    return _set_password_page(
        token,
        TokenPurpose.RESET_PASSWORD,
        accounts.reset_password,
        "accounts/reset_password.html",
        "Your password is changed.",
    )


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
@policy.public
def accept_invite(token: str):
    """Accept an invitation: set a password and sign in."""
    return _set_password_page(
        token, TokenPurpose.INVITE, accounts.accept_invite, "accounts/accept_invite.html", "Welcome to Candor."
    )


def _set_password_page(token: str, purpose: TokenPurpose, service, template: str, done: str):
    found: OneTimeToken | None = accounts.peek_token(token, purpose)
    if found is None:
        return _link_invalid(purpose)
    form = NewPasswordForm()
    form.account = found.user  # judges the new password knowing whose it is
    if form.validate_on_submit():
        try:
            user = service(token, form.password.data)
        except DomainError as exc:
            return _link_invalid(purpose, exc.message)
        if current_user.is_authenticated:
            logout_user()
        flash(done, "success")
        return _finish_sign_in(user, method=purpose.value)
    status = 422 if request.method == "POST" else 200
    return render_template(template, form=form, user=found.user), status


@bp.route("/password", methods=["GET", "POST"])
@limiter.limit(AUTH_LIMIT, methods=["POST"])
@policy.signed_in
def change_password():
    """Change the password of the signed-in account."""
    form = ChangePasswordForm()
    if not current_user.password_hash:
        del form.current
    if form.validate_on_submit():
        try:
            if current_user.password_hash:
                accounts.change_password(current_user, form.current.data, form.password.data)
            else:
                accounts.set_first_password(current_user, form.password.data)
        except DomainError as exc:
            (form.current or form.password).errors.append(exc.message)
        else:
            # The session version moved on: sign in again on this device with the new version, and
            # renew its remember cookie (if it has one) so only the other devices are signed out.
            login_user(current_user._get_current_object(), remember=remembered_here(current_user.id))
            flash("Your password is changed. Other devices are signed out.", "success")
            return redirect(home_for(current_user))
    status = 422 if request.method == "POST" else 200
    return _account_page(password_form=form, status=status)


@bp.route("/profile", methods=["POST"])
@policy.signed_in
def update_profile():
    """Change the account's name and time zone."""
    form = ProfileForm()
    if form.validate_on_submit():
        accounts.update_profile(current_user, name=form.name.data, timezone=form.timezone.data)
        flash("Your details are saved.", "success")
        return redirect(url_for("accounts.change_password"))
    return _account_page(profile_form=form, status=422)


def _account_page(
    *, profile_form: ProfileForm | None = None, password_form: ChangePasswordForm | None = None, status: int = 200
):
    """The account page holds two forms; the one that was sent keeps its input and errors."""
    if password_form is None:
        password_form = ChangePasswordForm(formdata=None)
        if not current_user.password_hash:
            del password_form.current
    profile_form = profile_form or ProfileForm(formdata=None, obj=current_user)
    return render_template(
        "accounts/change_password.html",
        form=password_form,
        profile_form=profile_form,
        providers=current_app.config["OIDC_PROVIDERS"],
    ), status


def remembered_here(user_id: int) -> bool:
    cookie = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
    if not cookie or session.get("_remember") == "clear":
        return False
    return (decode_cookie(cookie) or "").partition(":")[0] == str(user_id)


@bp.route("/invitations/new", methods=["GET", "POST"])
@policy.staff(Role.RECRUITER, Role.HIRING_MANAGER, Role.ADMIN)
def invite_candidate():
    """Invite a candidate by email with a one-time sign-in link."""
    form = InviteCandidateForm()
    positions = db.session.scalars(Position.open_positions()).all()
    form.position_id.choices = choices([(0, "No particular position")] + [(p.id, p.title) for p in positions])
    if form.validate_on_submit():
        position = db.session.get(Position, form.position_id.data) if form.position_id.data else None
        if position is not None and position.status != PositionStatus.OPEN.value:
            position = None
        try:
            invited = accounts.invite_candidate(
                current_user, name=form.name.data, email=form.email.data, position=position
            )
        except DomainError as exc:
            form.email.errors.append(exc.message)
        else:
            if invited.password_hash:
                flash(
                    f"{invited.email} already has an account; we sent them a note to apply instead of a sign-up link.",
                    "success",
                )
            else:
                flash(f"Invitation sent to {invited.email}.", "success")
            return redirect(url_for("accounts.invite_candidate"))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/invite.html", form=form), status
