"""Scorecards and interview kits: what each kind of interview assesses (as rows, editable by admins),
each interviewer's scorecard for their interview, and the earlier versions of amended scorecards.

Nothing here is ever shown to a candidate: what a candidate may read is published feedback, a
model of its own. Competencies, culture values and soft skills are one table told apart by `area`,
so a scorecard's ratings are one table too and a page loads them in one query.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.extensions import db
from portal.hiring.models import InterviewKind, sql_list
from portal.scheduling.models import Interview
from portal.timeutil import UTCDateTime, utcnow


class CompetencyGroup(str, enum.Enum):
    COMPETENCY = "competency"  # specific to one interview kind
    VALUE = "value"  # the culture values, rated in every interview
    SOFT_SKILL = "soft_skill"  # rated in every interview

    @property
    def label(self) -> str:
        return {"competency": "Competencies", "value": "Culture values", "soft_skill": "Soft skills"}[self.value]


class Competency(db.Model):
    """One thing an interviewer rates, explained with what strong and weak answers look like."""

    __tablename__ = "feedback_competencies"
    __table_args__ = (
        CheckConstraint(f"area IN ({sql_list(g.value for g in CompetencyGroup)})", name="known_area"),
        # A kind's own competencies name their kind; the shared values and soft skills name none.
        CheckConstraint("(area = 'competency') = (kind_key IS NOT NULL)", name="kind_iff_competency"),
        Index("ix_feedback_competencies_kind", "kind_key", "order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area: Mapped[str] = mapped_column(String(16))
    kind_key: Mapped[str | None] = mapped_column(ForeignKey("interview_kinds.key", ondelete="CASCADE"))
    order: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    strong: Mapped[str] = mapped_column(Text, default="")  # what a strong answer looks like
    weak: Mapped[str] = mapped_column(Text, default="")  # what a weak answer looks like
    # Retired ones stay, so the scorecards that rated them still read as they were written.
    retired: Mapped[bool] = mapped_column(default=False)


class InterviewKit(db.Model):
    """What an interviewer reads before an interview of one kind: what to probe, and scenarios."""

    __tablename__ = "feedback_kits"

    kind_key: Mapped[str] = mapped_column(ForeignKey("interview_kinds.key", ondelete="CASCADE"), primary_key=True)
    # Markdown, rendered through portal.templating (sanitised).
    probe: Mapped[str] = mapped_column(Text, default="")
    # Real-world scenario prompts, in order.
    scenarios: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    kind: Mapped[InterviewKind] = relationship(lazy="joined")


class ScorecardStatus(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Recommendation(str, enum.Enum):
    STRONG_YES = "strong_yes"
    YES = "yes"
    NO = "no"
    STRONG_NO = "strong_no"

    @property
    def label(self) -> str:
        return {"strong_yes": "Strong yes", "yes": "Yes", "no": "No", "strong_no": "Strong no"}[self.value]


# Ratings on one scale for competencies, values and soft skills.
RATINGS = {1: "Strong concerns", 2: "Some concerns", 3: "Good", 4: "Outstanding"}
KEEPER_TEST = "If this person were about to leave, would I fight hard to keep them?"
KEEPER_ANSWERS = {"yes": "Yes, I would fight hard to keep them", "no": "No"}


class Scorecard(db.Model):
    """One interviewer's assessment of one interview; a draft until submitted, then amended only
    with a reason (the version it replaces is kept in ScorecardVersion)."""

    __tablename__ = "feedback_scorecards"
    __table_args__ = (
        # One scorecard per interview and interviewer, however many requests race to start it.
        UniqueConstraint("interview_id", "interviewer_id", name="uq_feedback_scorecards_interview_interviewer"),
        CheckConstraint(f"status IN ({sql_list(s.value for s in ScorecardStatus)})", name="known_status"),
        CheckConstraint(
            f"recommendation IS NULL OR recommendation IN ({sql_list(r.value for r in Recommendation)})",
            name="known_recommendation",
        ),
        CheckConstraint(
            f"keeper_test IS NULL OR keeper_test IN ({sql_list(KEEPER_ANSWERS)})", name="known_keeper_answer"
        ),
        # A submitted scorecard is complete and dated.
        CheckConstraint(
            "status = 'draft' OR (recommendation IS NOT NULL AND keeper_test IS NOT NULL AND submitted_at IS NOT NULL)",
            name="submitted_is_complete",
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_feedback_scorecards_application", "application_id", "status"),
        Index("ix_feedback_scorecards_interviewer", "interviewer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"))
    # Copied from the interview, so the independence rule and the side-by-side page ask one table.
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    interviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind_key: Mapped[str] = mapped_column(ForeignKey("interview_kinds.key"))
    status: Mapped[str] = mapped_column(String(16), default=ScorecardStatus.DRAFT.value)
    keeper_test: Mapped[str | None] = mapped_column(String(8))
    recommendation: Mapped[str | None] = mapped_column(String(16))
    # For the hiring team only.
    private_notes: Mapped[str] = mapped_column(Text, default="")
    # A suggestion for the candidate-facing feedback; staff compose and publish that separately.
    strengths: Mapped[str] = mapped_column(Text, default="")
    growth_areas: Mapped[str] = mapped_column(Text, default="")
    # 1 for the first submission, one more on every amendment.
    version: Mapped[int] = mapped_column(default=1)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    interview: Mapped[Interview] = relationship()
    interviewer: Mapped[User] = relationship(lazy="joined")
    ratings: Mapped[list[Rating]] = relationship(
        back_populates="scorecard", cascade="all, delete-orphan", lazy="selectin"
    )
    versions: Mapped[list[ScorecardVersion]] = relationship(
        back_populates="scorecard", order_by="ScorecardVersion.version", cascade="all, delete-orphan"
    )

    @property
    def is_submitted(self) -> bool:
        return self.status == ScorecardStatus.SUBMITTED.value

    @property
    def recommendation_label(self) -> str:
        return Recommendation(self.recommendation).label if self.recommendation else ""


class Rating(db.Model):
    """A scorecard's rating of one competency, value or soft skill (empty while a draft)."""

    __tablename__ = "feedback_ratings"
    __table_args__ = (CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 4", name="known_rating"),)

    scorecard_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_scorecards.id", ondelete="CASCADE"), primary_key=True
    )
    competency_id: Mapped[int] = mapped_column(ForeignKey("feedback_competencies.id"), primary_key=True)
    rating: Mapped[int | None]

    scorecard: Mapped[Scorecard] = relationship(back_populates="ratings")


class ScorecardVersion(db.Model):
    """A submitted scorecard as it read before an amendment, with who amended it and why."""

    __tablename__ = "feedback_scorecard_versions"
    __table_args__ = (
        UniqueConstraint("scorecard_id", "version", name="uq_feedback_scorecard_versions_version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("feedback_scorecards.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    # The whole scorecard as submitted then, competency names included (they may be renamed later).
    content: Mapped[dict] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The amendment that replaced it.
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    amended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    scorecard: Mapped[Scorecard] = relationship(back_populates="versions")


class VoteChoice(str, enum.Enum):
    HIRE = "hire"
    NO_HIRE = "no_hire"

    @property
    def label(self) -> str:
        return {"hire": "Hire", "no_hire": "No hire"}[self.value]


class Vote(db.Model):
    """An on-site interviewer's vote in an application's decision, with a short reason; a hire needs
    every one of them to be "hire" (the guard of the hire transition, portal.feedback.decision)."""

    __tablename__ = "feedback_votes"
    __table_args__ = (
        UniqueConstraint("application_id", "voter_id", name="uq_feedback_votes_application_voter"),
        CheckConstraint(f"choice IN ({sql_list(c.value for c in VoteChoice)})", name="known_choice"),
        CheckConstraint("length(reason) > 0", name="reason_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    choice: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
