"""Sign-in throttling: growing delays after failed sign-ins, per account and per (address, account),
and a per-address ceiling far above one person's mistakes.

Failures are rows in the database, which every app instance shares already; unlike Flask-Limiter's
fixed windows they give a delay that grows with each failure and is measured from the last one, and
they need no Redis in tests or on a single machine. Rows older than a day are pruned as new ones come.

An attempt is written down before its password is checked and taken back if it succeeds, so many
guesses sent at once cannot all slip through on the count taken before any of them failed.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Index, String, case, delete, func, select, true
from sqlalchemy.orm import Mapped, mapped_column

from portal.accounts.models import normalise_email
from portal.errors import DomainError
from portal.extensions import db
from portal.timeutil import UTCDateTime, utcnow
from portal.unit_of_work import transactional

WINDOW = timedelta(hours=24)
ADDRESS_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Backoff:
    """`free` failures cost nothing; after that each one doubles the wait, from `first` up to `cap`."""

    free: int
    first: timedelta
    cap: timedelta

    def wait_after(self, failures: int) -> timedelta:
        if failures < self.free:
            return timedelta(0)
        return min(self.cap, self.first * 2 ** min(failures - self.free, 32))


# Guesses from one address at one account: a crawl soon (about a hundred a day at the cap).
PAIR = Backoff(free=5, first=timedelta(seconds=30), cap=timedelta(minutes=15))
# Guesses at one account from anywhere: every address waits, so the cap stays short enough for the
# owner, arriving from an address of their own, to get in after at most a minute.
ACCOUNT = Backoff(free=10, first=timedelta(seconds=1), cap=timedelta(minutes=1))


class SignInThrottled(DomainError):
    status = 429

    def __init__(self, message: str, retry_after: timedelta):
        super().__init__(message)
        self.retry_after = max(1, math.ceil(retry_after.total_seconds()))


class SignInFailure(db.Model):
    """A failed sign-in, or one whose password is being checked right now."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        Index("ix_sign_in_failures_account", "account_key", "at"),
        Index("ix_sign_in_failures_address", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # HMAC of the typed email: unknown addresses are throttled like known ones (or the throttle would
    # tell which emails have accounts), and what people mistype is not kept in the clear.
    account_key: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def account_key(email: str) -> str:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, normalise_email(email).encode(), hashlib.sha256).hexdigest()


def network_of(address: str | None) -> str:
    """An IPv6 client holds a whole /64, so that is what counts as one address."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return (address or "unknown")[:64]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass(frozen=True)
class Attempt:
    id: int
    account_key: str
    network: str


def start(email: str, address: str | None) -> Attempt | None:
    """Record a sign-in attempt as failed until proven otherwise, or refuse it (SignInThrottled).

    Returns the attempt for `succeeded`, or None when sign-in limits are off.
    """
    if not _enabled():
        return None
    key, network = account_key(email), network_of(address)
    _refuse_if_throttled(key, network)  # the common refusal costs no write
    attempt = Attempt(_record(key, network), key, network)
    try:
        _refuse_if_throttled(key, network, ignore=attempt.id)
    except SignInThrottled:
        _forget(attempt.id)
        raise
    return attempt


@transactional
def succeeded(attempt: Attempt | None) -> None:
    """The password was right: forget this address's failures at this account (this attempt too).

    Failures at the account from other addresses stay: the owner signing in says nothing about them.
    """
    if attempt is None:
        return
    db.session.execute(
        delete(SignInFailure).where(
            SignInFailure.account_key == attempt.account_key, SignInFailure.address == attempt.network
        )
    )


@transactional
def _record(key: str, network: str) -> int:
    now = utcnow()
    db.session.execute(delete(SignInFailure).where(SignInFailure.at < now - WINDOW))
    failure = SignInFailure(account_key=key, address=network, at=now)
    db.session.add(failure)
    db.session.flush()
    return failure.id


@transactional
def _forget(attempt: int) -> None:
    db.session.execute(delete(SignInFailure).where(SignInFailure.id == attempt))


def _refuse_if_throttled(key: str, network: str, ignore: int | None = None) -> None:
    now = utcnow()
    others = SignInFailure.id != ignore if ignore is not None else true()

    limit = current_app.config.get("SIGNIN_FAILURES_PER_ADDRESS_PER_HOUR", 300)
    from_address, oldest = db.session.execute(
        select(func.count(), func.min(SignInFailure.at)).where(
            SignInFailure.address == network, SignInFailure.at > now - ADDRESS_WINDOW, others
        )
    ).one()
    if from_address >= limit:
        raise SignInThrottled(
            "Too many failed sign-ins from your network. Try again later, or reset your password.",
            oldest + ADDRESS_WINDOW - now,
        )

    here = SignInFailure.address == network
    at_account, last_at_account, from_here, last_from_here = db.session.execute(
        select(
            func.count(),
            func.max(SignInFailure.at),
            func.count(case((here, 1))),
            func.max(case((here, SignInFailure.at))),
        ).where(SignInFailure.account_key == key, SignInFailure.at > now - WINDOW, others)
    ).one()
    wait = timedelta(0)
    if from_here:
        wait = max(wait, last_from_here + PAIR.wait_after(from_here) - now)
    if at_account:
        wait = max(wait, last_at_account + ACCOUNT.wait_after(at_account) - now)
    if wait > timedelta(0):
        raise SignInThrottled(
            f"Too many failed sign-ins to this account. Wait {_spell(wait)} and try again, or reset your password.",
            wait,
        )


def _spell(wait: timedelta) -> str:
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"
