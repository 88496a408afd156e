"""A stored file as a record: what was uploaded, by whom, for what, and where its bytes are."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.timeutil import UTCDateTime, utcnow


class StoredFile(db.Model):
    """One uploaded file. It belongs to an owner object (the candidate for a CV; a take-home
    submission for its files), named like audit entries name theirs: table name and id."""

    __tablename__ = "stored_files"
    __table_args__ = (
        Index("ix_stored_files_owner", "owner_type", "owner_id"),
        CheckConstraint("size > 0", name="not_empty"),
        CheckConstraint("length(sha256) = 64", name="sha256_hex"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(40))  # the upload kind: "cv"
    original_name: Mapped[str] = mapped_column(String(255))  # as the browser sent it (control characters removed)
    name: Mapped[str] = mapped_column(String(200))  # sanitised: what downloads are called
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(120))
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
