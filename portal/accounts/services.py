"""Account operations: sign-up, verification, passwords, invitations, staff accounts.

Each public function is one transaction. Mail is queued in the outbox in that transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from zxcvbn import zxcvbn

from portal import audit
from portal.accounts import hashing, throttle
from portal.accounts.models import (
    OneTimeToken,
    Role,
    TokenPurpose,
    User,
    UserRole,
    email_problem,
    normalise_email,
)
from portal.audit.models import AuditEntry
from portal.errors import DomainError
from portal.extensions import db
from portal.unit_of_work import transactional
from portal.notifications.services import link, queue_mail
from portal.timeutil import utcnow

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
# zxcvbn's score 3: about 10^8 guesses or more ("safely unguessable" for an online attack that the
# sign-in throttle slows down); lists of leaked passwords, keyboard walks, repeats and dates score lower.
MIN_PASSWORD_SCORE = 3
# zxcvbn slows down sharply on long input; a password whose first 72 characters are hard to guess is.
_STRENGTH_CHECKED_LENGTH = 72
RESET_LINKS_PER_HOUR = 5
# Someone signing up with an address that has an account is told nothing; the owner hears of it,
# at most this often, so the notice cannot be used to flood a mailbox.
SIGN_UP_NOTICES_PER_DAY = 1
# Invitations: per invited address and per sender, so nobody's mailbox fills with live links.
INVITES_PER_ADDRESS_PER_DAY = 3
INVITES_PER_SENDER_PER_HOUR = 30
INVITES_PER_SENDER_PER_DAY = 100


class EmailTaken(DomainError):
    pass


class InvalidToken(DomainError):
    status = 400


class WeakPassword(DomainError):
    status = 422


class InvitationLimit(DomainError):
    status = 429


class LastAdmin(DomainError):
    status = 409


def usable_email(email: str) -> str:
    """The normalised address, or a DomainError saying why it cannot be given to an account."""
    email = normalise_email(email)
    problem = email_problem(email)
    if problem:
        raise DomainError(problem)
    return email


def hash_password(password: str) -> str:
    """The hash to store; a weak password never gets one, whichever path it came by."""
    problem = password_problem(password)
    if problem:
        raise WeakPassword(problem)
    return hashing.hash_password(password)


@transactional
def end_sessions(user: User) -> None:
    """Sign the account out everywhere: every session and remember cookie issued so far stops working."""
    user.session_version += 1
    audit.record("user.sign_out", user, actor=user)


@transactional
def record_sign_in(user: User, method: str) -> None:
    audit.record("user.sign_in", user, actor=user, method=method)


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """Why this password must not be used, or None. `email` and `name` are the account's own,
    which make a password easy to guess for anyone who knows whose it is."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    if email and password.strip().lower() == normalise_email(email):
        return "Do not use your email address as the password."
    personal = ["candor", *name.split(), "".join(name.split())]
    if email:
        local, _, domain = normalise_email(email).partition("@")
        personal += [
            email,
            local,
            re.sub(r"[^a-z0-9]", "", local),
            *re.split(r"[^a-z0-9]+", local),
            domain.split(".")[0],
        ]
    verdict = zxcvbn(password[:_STRENGTH_CHECKED_LENGTH], user_inputs=[p for p in personal if p])
    if verdict["score"] >= MIN_PASSWORD_SCORE:
        return None
    feedback = verdict["feedback"]
    warning = feedback.get("warning") or ""
    suggestion = (feedback.get("suggestions") or ["Add another word or two. Uncommon words are better."])[0]
    return " ".join(part for part in ("This password is too easy to guess.", warning, suggestion) if part)


def authenticate(email: str, password: str) -> User | None:
    """The active account with this email and password, or None (in the same time either way)."""
    user = User.by_email(email)
    if user is None or not user.password_hash:
        hashing.spend_a_verification(password)
        return None
    matches, stale = hashing.verify_password(user.password_hash, password)
    if not matches or not user.active:
        return None
    if stale:
        # Hashed before the transaction opens, so no row stays locked while argon2 works.
        _upgrade_password_hash(user, hashing.hash_password(password))
    return user


def sign_in(email: str, password: str, address: str | None) -> User | None:
    """authenticate(), slowed down after failures (SignInThrottled says how long to wait)."""
    attempt = throttle.start(email, address)
    user = authenticate(email, password)
    if user is not None:
        throttle.succeeded(attempt)
    return user


@transactional
def _upgrade_password_hash(user: User, new_hash: str) -> None:
    """Store the password hashed with today's algorithm and cost, taken while it was at hand (at
    sign-in). The password is the same, so every session stays valid."""
    before = hashing.scheme_of(user.password_hash)
    user.password_hash = new_hash
    audit.record("user.upgrade_password_hash", user, actor=user, scheme_before=before)


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User, purpose: TokenPurpose, lifetime: timedelta) -> str:
    """Create a single-use token (flushes); returns the secret that goes into the link."""
    raw = secrets.token_urlsafe(32)
    db.session.add(
        OneTimeToken(user=user, purpose=purpose.value, token_hash=_token_hash(raw), expires_at=utcnow() + lifetime)
    )
    db.session.flush()
    return raw


def peek_token(raw: str, purpose: TokenPurpose) -> OneTimeToken | None:
    """The live token for `raw`, without using it (for showing a form)."""
    if not raw or len(raw) > 100:
        return None
    token = db.session.scalar(select(OneTimeToken).where(OneTimeToken.token_hash == _token_hash(raw)))
    if token is None or token.purpose != purpose.value or token.used_at is not None:
        return None
    if token.expires_at <= utcnow() or not hmac.compare_digest(token.token_hash, _token_hash(raw)):
        return None
    # A deactivated account keeps no way back in: its outstanding invitation and reset links die with it.
    if not token.user.active:
        return None
    return token


def _use_token(raw: str, purpose: TokenPurpose) -> User:
    """Mark the token used; a conditional update makes a second, concurrent use fail."""
    token = peek_token(raw, purpose)
    if token is None:
        raise InvalidToken("This link is invalid, has expired or was already used.")
    used = db.session.execute(
        update(OneTimeToken).where(OneTimeToken.id == token.id, OneTimeToken.used_at.is_(None)).values(used_at=utcnow())
    )
    if used.rowcount != 1:
        raise InvalidToken("This link is invalid, has expired or was already used.")
    return token.user


def _queue_verification(user: User) -> None:
    raw = issue_token(user, TokenPurpose.VERIFY_EMAIL, timedelta(hours=current_app.config["VERIFY_TOKEN_HOURS"]))
    queue_mail(
        user,
        "verify_email",
        user=user,
        link=link("accounts.verify", token=raw),
        hours=current_app.config["VERIFY_TOKEN_HOURS"],
    )


@transactional
def sign_up(*, name: str, email: str, password: str, timezone: str = "UTC") -> User:
    """Create a candidate account and mail the verification link; EmailTaken if the address has one.

    The password is hashed before the address is looked up, so a taken address costs the same
    time as a free one (the caller answers both alike, see notify_sign_up_attempt).
    """
    email = usable_email(email)
    password_hash = hash_password(password)
    if User.by_email(email) is not None:
        raise EmailTaken("An account with this email already exists. Sign in, or reset your password.")
    user = User(name=name.strip(), email=email, password_hash=password_hash, timezone=timezone)
    _add_user(user, "An account with this email already exists. Sign in, or reset your password.")
    audit.record("user.sign_up", user, actor=user)
    _queue_verification(user)
    return user


def _recent_audit_count(
    action: str, since: timedelta, *, object_id: int | None = None, actor_id: int | None = None
) -> int:
    query = (
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == action, AuditEntry.at > utcnow() - since)
    )
    if object_id is not None:
        query = query.where(AuditEntry.object_type == User.__tablename__, AuditEntry.object_id == object_id)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    return db.session.scalar(query)


@transactional
def notify_sign_up_attempt(email: str) -> None:
    """Tell the owner of an address that someone tried to sign up with it (at most once a day)."""
    user = User.by_email(email)
    if user is None or not user.active:
        return
    if _recent_audit_count("user.sign_up_attempt", timedelta(days=1), object_id=user.id) >= SIGN_UP_NOTICES_PER_DAY:
        return
    queue_mail(
        user,
        "sign_up_attempt",
        user=user,
        sign_in_link=link("accounts.login"),
        reset_link=link("accounts.request_reset"),
    )
    audit.record("user.sign_up_attempt", user, actor=None)


@transactional
def resend_verification(user: User) -> None:
    if user.email_verified:
        return
    _queue_verification(user)


@transactional
def verify_email(raw: str, user: User) -> User:
    """Confirm the address of `user`, who is signed in (or just proved their password).

    The link alone is not enough: an account created with someone else's address would otherwise
    become a confirmed account of its creator the moment the owner clicks the link. The owner who
    does not know the password claims the account instead (claim_account).
    """
    token = peek_token(raw, TokenPurpose.VERIFY_EMAIL)
    if token is None or token.user_id != user.id:
        raise InvalidToken("This link is invalid, has expired or was already used.")
    _use_token(raw, TokenPurpose.VERIFY_EMAIL)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    audit.record("user.verify_email", user, actor=user)
    return user


@transactional
def claim_account(raw: str, password: str) -> User:
    """The owner of the mailbox takes over an unconfirmed account with the emailed link.

    Whoever created the account keeps nothing: their password is replaced, every session and
    remember cookie ends, and sign-in identities they may have linked are removed.
    """
    user = _use_token(raw, TokenPurpose.VERIFY_EMAIL)
    _set_password(user, password)
    user.identities.clear()
    user.email_verified_at = user.email_verified_at or utcnow()
    audit.record("user.claim_account", user, actor=user)
    queue_mail(user, "password_changed", user=user)
    return user


@transactional
def request_password_reset(email: str) -> None:
    """Queue a reset link if the account exists; the caller says the same thing either way."""
    user = User.by_email(email)
    if user is None or not user.active:
        return
    # At most a few links an hour per account, so nobody can flood someone's mailbox from many addresses.
    recent = db.session.scalar(
        select(func.count())
        .select_from(OneTimeToken)
        .where(
            OneTimeToken.user_id == user.id,
            OneTimeToken.purpose == TokenPurpose.RESET_PASSWORD.value,
            OneTimeToken.created_at > utcnow() - timedelta(hours=1),
        )
    )
    if recent >= RESET_LINKS_PER_HOUR:
        return
    minutes = current_app.config["RESET_TOKEN_MINUTES"]
    raw = issue_token(user, TokenPurpose.RESET_PASSWORD, timedelta(minutes=minutes))
    queue_mail(user, "reset_password", user=user, link=link("accounts.reset_password", token=raw), minutes=minutes)
    audit.record("user.request_reset", user, actor=None)


def _add_user(user: User, taken_message: str) -> None:
    """Insert a new account; the unique index decides when two requests race for one address.

    The caller's transaction is rolled back by @transactional when EmailTaken propagates.
    """
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        raise EmailTaken(taken_message) from None


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.session_version += 1  # signs out every other session and remember cookie
    # Links that could set a password again (an older reset mail, an unused invitation) stop working.
    db.session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.user_id == user.id,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.purpose.in_([TokenPurpose.RESET_PASSWORD.value, TokenPurpose.INVITE.value]),
        )
        .values(used_at=utcnow())
    )


@transactional
def reset_password(raw: str, password: str) -> User:
    user = _use_token(raw, TokenPurpose.RESET_PASSWORD)
    _set_password(user, password)
    # The link reached the mailbox, so the address is proven.
    user.email_verified_at = user.email_verified_at or utcnow()
    audit.record("user.reset_password", user, actor=user)
    queue_mail(user, "password_changed", user=user)
    return user


@transactional
def change_password(user: User, current: str, new: str) -> None:
    if not user.password_hash or not hashing.verify_password(user.password_hash, current)[0]:
        raise DomainError("The current password is not correct.")
    _set_password(user, new)
    audit.record("user.change_password", user, actor=user)
    queue_mail(user, "password_changed", user=user)


@transactional
def set_first_password(user: User, new: str) -> None:
    """Give an account that signs in through OpenID Connect a password as well."""
    if user.password_hash:
        raise DomainError("This account already has a password.")
    _set_password(user, new)
    audit.record("user.set_password", user, actor=user)
    queue_mail(user, "password_changed", user=user)


def _check_invitation_limits(actor: User | None, invited: User | None) -> None:
    """Refuse an invitation beyond the limits per address and per sender (counted in the audit log,
    which records every invitation with its sender and the invited account)."""
    if (
        invited is not None
        and _recent_audit_count("user.invite", timedelta(days=1), object_id=invited.id) >= INVITES_PER_ADDRESS_PER_DAY
    ):
        raise InvitationLimit(
            f"This address was invited {INVITES_PER_ADDRESS_PER_DAY} times in the last "
            "24 hours. Wait a day before inviting it again."
        )
    if actor is None:
        return
    if _recent_audit_count("user.invite", timedelta(hours=1), actor_id=actor.id) >= INVITES_PER_SENDER_PER_HOUR:
        raise InvitationLimit(f"You sent {INVITES_PER_SENDER_PER_HOUR} invitations in the last hour. Try again later.")
    if _recent_audit_count("user.invite", timedelta(days=1), actor_id=actor.id) >= INVITES_PER_SENDER_PER_DAY:
        raise InvitationLimit(
            f"You sent {INVITES_PER_SENDER_PER_DAY} invitations in the last 24 hours. Try again tomorrow."
        )


def _void_invitations(user: User) -> None:
    """One live invitation per address: an earlier link stops working when a new one is sent."""
    db.session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.user_id == user.id,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.purpose == TokenPurpose.INVITE.value,
        )
        .values(used_at=utcnow())
    )


@transactional
def invite_candidate(actor: User, *, name: str, email: str, position=None) -> User:
    """Mail a candidate a one-time link to set a password and sign in (creating the account), or,
    when they already have one, a note pointing to the position and the sign-in page."""
    email = usable_email(email)
    user = User.by_email(email)
    if user is not None and user.is_staff:
        raise EmailTaken("This email belongs to a staff account.")
    _check_invitation_limits(actor, user)
    position_link = link("candidate.position", position_id=position.id) if position is not None else None
    if user is not None and user.password_hash:
        # They already have an account: a set-password link would be an unrequested password reset.
        queue_mail(
            user,
            "invite_existing",
            user=user,
            inviter=actor,
            position=position,
            position_link=position_link,
            sign_in_link=link("accounts.login"),
        )
        audit.record("user.invite", user, actor=actor, position_id=getattr(position, "id", None), existing=True)
        return user
    if user is None:
        user = User(name=name.strip(), email=email)
        _add_user(user, "An account with this email already exists.")
    else:
        _void_invitations(user)
    raw = issue_token(user, TokenPurpose.INVITE, timedelta(days=current_app.config["INVITE_TOKEN_DAYS"]))
    queue_mail(
        user,
        "invite",
        user=user,
        inviter=actor,
        position=position,
        position_link=position_link,
        link=link("accounts.accept_invite", token=raw),
        days=current_app.config["INVITE_TOKEN_DAYS"],
    )
    audit.record("user.invite", user, actor=actor, position_id=getattr(position, "id", None))
    return user


@transactional
def accept_invite(raw: str, password: str) -> User:
    user = _use_token(raw, TokenPurpose.INVITE)
    _set_password(user, password)
    user.email_verified_at = user.email_verified_at or utcnow()
    audit.record("user.accept_invite", user, actor=user)
    return user


@transactional
def create_staff(*, email: str, name: str, roles, password: str | None = None, actor: User | None = None) -> User:
    email = usable_email(email)
    roles = {Role(r) for r in roles}
    if not roles:
        raise DomainError("Choose at least one role.")
    if User.by_email(email) is not None:
        raise EmailTaken("An account with this email already exists.")
    user = User(
        email=email,
        name=name.strip(),
        is_staff=True,
        email_verified_at=utcnow(),
        password_hash=hash_password(password) if password else None,
    )
    user.set_roles(roles)
    _add_user(user, "An account with this email already exists.")
    audit.record("staff.create", user, actor=actor, roles=sorted(r.value for r in roles))
    if not password:
        raw = issue_token(user, TokenPurpose.INVITE, timedelta(days=current_app.config["INVITE_TOKEN_DAYS"]))
        queue_mail(
            user,
            "invite_staff",
            user=user,
            inviter=actor,
            link=link("accounts.accept_invite", token=raw),
            days=current_app.config["INVITE_TOKEN_DAYS"],
        )
    return user


def _lock_admins() -> None:
    """Hold every admin account until commit, so two admins demoting each other cannot both pass
    the "another admin remains" check, each having read the other as still an admin."""
    admin_ids = select(UserRole.user_id).where(UserRole.role == Role.ADMIN.value)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(User.id).where(User.id.in_(admin_ids)).with_for_update())
    else:
        # SQLite serialises writers but lets a reader decide on what it read before it waited for
        # the write lock: take the write lock first (a write that changes nothing), then count.
        db.session.execute(update(User).where(User.id.in_(admin_ids)).values(session_version=User.session_version))


def other_active_admins(user: User) -> int:
    """Active admins other than `user`, read afresh (after _lock_admins)."""
    return db.session.scalar(
        select(func.count())
        .select_from(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ADMIN.value, User.active.is_(True), User.is_staff.is_(True), User.id != user.id)
    )


def positions_held(user: User, role: Role) -> list[str]:
    """The titles of the positions not closed that `user` runs in `role` (recruiter or hiring manager)."""
    from portal.hiring.models import Position, PositionStatus

    column = Position.hiring_manager_id if role is Role.HIRING_MANAGER else Position.recruiter_id
    return list(
        db.session.scalars(
            select(Position.title)
            .where(column == user.id, Position.status != PositionStatus.CLOSED.value)
            .order_by(Position.title)
        )
    )


@transactional
def update_staff(actor: User, user: User, *, name: str, roles, active: bool) -> User:
    if not user.is_staff:
        raise DomainError("Only staff accounts are managed here.")
    roles = {Role(r) for r in roles}
    if not roles:
        raise DomainError("Choose at least one role.")
    if user.id == actor.id and (not active or Role.ADMIN not in roles):
        raise DomainError("You cannot remove your own admin role or deactivate yourself.")
    if not active or Role.ADMIN not in roles:
        _lock_admins()
        if other_active_admins(user) == 0:
            raise LastAdmin("The portal needs at least one active admin: give someone else the admin role first.")
    db.session.refresh(user)  # the roles and state as they are now, not as read before the lock
    before = sorted(user.roles)
    for role, label in ((Role.HIRING_MANAGER, "hiring manager"), (Role.RECRUITER, "recruiter")):
        held = positions_held(user, role) if role.value in user.roles and role not in roles else []
        if held:
            named = ", ".join(held[:3]) + (f" and {len(held) - 3} more" if len(held) > 3 else "")
            raise DomainError(
                f"{user.name} is the {label} of {named}: give {'it' if len(held) == 1 else 'them'} another "
                f"{label} first, or the position{'' if len(held) == 1 else 's'} would have none."
            )
    user.name = name.strip()
    user.set_roles(roles)
    if user.active != active:
        user.active = active
        user.session_version += 1
    audit.record("staff.update", user, actor=actor, roles_before=before, roles=sorted(user.roles), active=active)
    return user


@transactional
def update_profile(user: User, *, name: str, timezone: str) -> User:
    before = {"name": user.name, "timezone": user.timezone}
    user.name = name.strip()
    user.timezone = timezone
    audit.record("user.update_profile", user, actor=user, before=before)
    return user
