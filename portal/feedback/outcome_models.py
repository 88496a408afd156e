"""What reaches the candidate from the hiring team, and what the candidate says back: feedback
published per stage, the offer and its answer, and the candidate's rating of each stage.

Published feedback is written for the candidate by the recruiter or hiring manager; it is never a view
of a scorecard, so nothing an interviewer typed reaches a candidate unless staff copy it on purpose.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.hiring.models import Stage, sql_list
from portal.timeutil import UTCDateTime, utcnow


class FeedbackStatus(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"


class StageFeedback(db.Model):
    """The feedback a candidate reads for one stage of their application: a draft until published,
    then final. A rejection's or an offer's feedback is the feedback of the process's Outcome stage."""

    __tablename__ = "feedback_published"
    __table_args__ = (
        UniqueConstraint("application_id", "stage_id", name="uq_feedback_published_application_stage"),
        CheckConstraint(f"status IN ({sql_list(s.value for s in FeedbackStatus)})", name="known_status"),
        CheckConstraint("(status = 'published') = (published_at IS NOT NULL)", name="published_is_dated"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"))
    # Markdown, rendered through portal.templating.markdown (sanitised) on every page that shows it.
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=FeedbackStatus.DRAFT.value)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Loaded on demand: the row is read FOR UPDATE, which PostgreSQL refuses across an outer join.
    stage: Mapped[Stage] = relationship()

    @property
    def is_published(self) -> bool:
        return self.status == FeedbackStatus.PUBLISHED.value


class OfferStatus(str, enum.Enum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return {"offered": "Waiting for the answer", "accepted": "Accepted", "declined": "Declined"}[self.value]


class Offer(db.Model):
    """The offer made after a hire: one per application, answered once by the candidate."""

    __tablename__ = "feedback_offers"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_list(s.value for s in OfferStatus)})", name="known_status"),
        CheckConstraint("(status = 'offered') = (answered_at IS NULL)", name="answered_iff_not_offered"),
        CheckConstraint("length(role_title) > 0", name="role_title_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), unique=True)
    role_title: Mapped[str] = mapped_column(String(160))
    start_date: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")  # plain text, for the candidate
    status: Mapped[str] = mapped_column(String(16), default=OfferStatus.OFFERED.value)
    made_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def status_label(self) -> str:
        return OfferStatus(self.status).label


class StageRating(db.Model):
    """A candidate's rating (1 to 5) and comment on a stage they went through.

    Anonymous to staff: the application is kept only so that a candidate rates each stage once; no
    staff page, export or audit entry names it. Staff read ratings per stage and position in aggregate.
    """

    __tablename__ = "feedback_stage_ratings"
    __table_args__ = (
        UniqueConstraint("application_id", "stage_id", name="uq_feedback_stage_ratings_application_stage"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_1_to_5"),
        Index("ix_feedback_stage_ratings_position_stage", "position_id", "stage_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id", ondelete="CASCADE"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"))
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    # The day only: a time to the second would let staff match a rating to the candidate who gave it.
    given_on: Mapped[date] = mapped_column(Date)
