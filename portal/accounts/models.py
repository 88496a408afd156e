"""People: candidates and staff, their roles, external identities and one-time tokens."""

from __future__ import annotations

import enum
import unicodedata
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.timeutil import UTCDateTime, utcnow


class Role(str, enum.Enum):
    RECRUITER = "recruiter"
    INTERVIEWER = "interviewer"
    HIRING_MANAGER = "hiring_manager"
    HR = "hr"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {
            "recruiter": "Recruiter",
            "interviewer": "Interviewer",
            "hiring_manager": "Hiring manager",
            "hr": "HR",
            "admin": "Admin",
        }[self.value]


ROLE_VALUES = tuple(r.value for r in Role)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_staff: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Bumped on password change or reset: every session and remember cookie issued before is void.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    role_rows: Mapped[list[UserRole]] = relationship(
        # Loaded when asked (the signed-in person's roles, once per request); lists of staff ask for
        # them with selectinload, and the many users shown beside an application never need them.
        back_populates="user",
        cascade="all, delete-orphan",
        lazy="select",
    )
    identities: Mapped[list[ExternalIdentity]] = relationship(back_populates="user", cascade="all, delete-orphan")

    # Flask-Login: the id carries the session version so old cookies stop working.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    @property
    def is_candidate(self) -> bool:
        return not self.is_staff

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows) if self.is_staff else frozenset()

    def has_role(self, *roles: str | Role) -> bool:
        wanted = {r.value if isinstance(r, Role) else r for r in roles}
        return bool(self.roles & wanted)

    def set_roles(self, roles) -> None:
        wanted = {r.value if isinstance(r, Role) else r for r in roles}
        self.role_rows = [row for row in self.role_rows if row.role in wanted] + [
            UserRole(role=r) for r in sorted(wanted - {row.role for row in self.role_rows})
        ]

    @classmethod
    def by_email(cls, email: str) -> User | None:
        return db.session.scalar(select(cls).where(cls.email == normalise_email(email)))

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


def normalise_email(email: str) -> str:
    """The one spelling an address is stored and looked up in.

    NFKC folds look-alikes such as fullwidth letters into the plain ones they stand for, so
    "ｃandidate@example.com" finds the account of "candidate@example.com" instead of being another.
    The whole address is lower-cased: mail providers treat the local part case-insensitively, and
    two accounts differing only in case would be two accounts for one mailbox.
    """
    return unicodedata.normalize("NFKC", email or "").strip().lower()


def email_problem(email: str) -> str | None:
    """Why an address cannot be given to a new account (None when it can); expects it normalised.

    Mail is sent without SMTPUTF8, so a non-ASCII local part could never receive the verification
    link, and it would look like an ASCII address that belongs to someone else.
    """
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain:
        return "Enter an email address such as name@example.com."
    if not local.isascii():
        return "Use an address whose part before the @ has only Latin letters, digits and . _ + - characters."
    return None


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (
        CheckConstraint("role IN ('recruiter', 'interviewer', 'hiring_manager', 'hr', 'admin')", name="known_role"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class ExternalIdentity(db.Model):
    """A sign-in identity at an OpenID Connect issuer, linked to one user."""

    __tablename__ = "external_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_external_identities_issuer_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="identities")


class TokenPurpose(str, enum.Enum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"
    INVITE = "invite"


class OneTimeToken(db.Model):
    """A single-use, expiring secret sent by email. Only its SHA-256 is stored."""

    __tablename__ = "one_time_tokens"
    __table_args__ = (CheckConstraint("purpose IN ('verify_email', 'reset_password', 'invite')", name="known_purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
