"""Take-home assignments: the library (brief, limits, rubric), what each position offers at its
technical screen, each application's attempt with its clock, and the versions handed in.

The starter files of an assignment and the files of a submission are `StoredFile` records owned by
the assignment or the submission (owner_type is the table name), so they live in the storage module
like every other upload. The format the candidate chose is kept in StageProgress.format, where
reports read it; this package only adds what the take-home itself needs.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.hiring.models import sql_list
from portal.timeutil import UTCDateTime, utcnow

STARTER_OWNER = "takehome_assignments"
SUBMISSION_OWNER = "takehome_submissions"


class Assignment(db.Model):
    """A take-home brief in the library, with what may be handed in and how it is graded."""

    __tablename__ = "takehome_assignments"
    __table_args__ = (
        CheckConstraint("time_limit_hours BETWEEN 1 AND 336", name="sensible_time_limit"),
        CheckConstraint("start_within_days BETWEEN 1 AND 60", name="sensible_start_window"),
        CheckConstraint("max_files BETWEEN 1 AND 50", name="sensible_file_count"),
        CheckConstraint("max_file_bytes > 0", name="file_limit_positive"),
        CheckConstraint("max_total_bytes >= max_file_bytes", name="total_holds_one_file"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    # Markdown, rendered through portal.templating.markdown (sanitised) wherever it is shown.
    brief: Mapped[str] = mapped_column(Text, default="")
    # Names of registered file types (portal.storage.filetypes) a submission may hold.
    allowed_types: Mapped[list] = mapped_column(JSON, default=list)
    max_file_bytes: Mapped[int] = mapped_column(BigInteger)
    max_total_bytes: Mapped[int] = mapped_column(BigInteger)
    max_files: Mapped[int] = mapped_column(default=10)
    time_limit_hours: Mapped[int] = mapped_column(default=4)
    # The candidate starts the clock within this many days of reaching the technical screen.
    start_within_days: Mapped[int] = mapped_column(default=7)
    late_submissions_allowed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    criteria: Mapped[list[RubricCriterion]] = relationship(
        back_populates="assignment", order_by="RubricCriterion.order", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def total_weight(self) -> int:
        return sum(c.weight for c in self.criteria)


class RubricCriterion(db.Model):
    """One line of an assignment's rubric: what graders score, explained, and how much it counts."""

    __tablename__ = "takehome_rubric_criteria"
    __table_args__ = (
        UniqueConstraint("assignment_id", "order", name="uq_takehome_rubric_order"),
        CheckConstraint("weight BETWEEN 1 AND 100", name="sensible_weight"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("takehome_assignments.id", ondelete="CASCADE"), index=True)
    order: Mapped[int]
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[int] = mapped_column(default=1)

    assignment: Mapped[Assignment] = relationship(back_populates="criteria")


class FormatOffer(str, enum.Enum):
    """Which technical-screen formats a position offers its candidates."""

    BOTH = "both"
    LIVE = "live"
    TAKE_HOME = "take_home"

    @property
    def label(self) -> str:
        return {"both": "Both: the candidate chooses", "live": "Live screen only", "take_home": "Take-home only"}[
            self.value
        ]


class TechnicalScreenOffer(db.Model):
    """A position's technical screen: the formats offered and the assignment its take-home uses.
    A position without a row offers both formats, the take-home only once an assignment is chosen."""

    __tablename__ = "takehome_position_offers"
    __table_args__ = (CheckConstraint(f"formats IN ({sql_list(f.value for f in FormatOffer)})", name="known_formats"),)

    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id", ondelete="CASCADE"), primary_key=True)
    formats: Mapped[str] = mapped_column(String(16), default=FormatOffer.BOTH.value)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("takehome_assignments.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    assignment: Mapped[Assignment | None] = relationship(lazy="joined")


class AttemptStatus(str, enum.Enum):
    NOT_STARTED = "not_started"  # chosen, the overview read, the clock not yet running
    IN_PROGRESS = "in_progress"  # the clock runs (past the deadline too, until the candidate hands in)
    SUBMITTED = "submitted"
    CANCELLED = "cancelled"  # the format changed away from the take-home: kept as history


class Attempt(db.Model):
    """An application's take-home at its technical screen: the assignment as it was offered and the clock.

    The time limit is copied when the take-home is chosen, so editing the library never moves a clock
    that runs. The deadline is stored (so lists and the submission check read one column) and is
    only ever set by `deadline_for`, on the server."""

    __tablename__ = "takehome_attempts"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_list(s.value for s in AttemptStatus)})", name="known_status"),
        CheckConstraint("time_limit_minutes BETWEEN 60 AND 20160", name="sensible_time_limit"),
        CheckConstraint("extension_minutes >= 0 AND accommodation_minutes >= 0", name="extra_time_not_negative"),
        CheckConstraint("(started_at IS NULL) = (deadline IS NULL)", name="deadline_iff_started"),
        CheckConstraint("status NOT IN ('in_progress', 'submitted') OR started_at IS NOT NULL", name="running_started"),
        CheckConstraint("deadline IS NULL OR deadline > started_at", name="deadline_after_start"),
        # One take-home per application and stage at a time; cancelled ones stay as history.
        Index("uq_takehome_attempts_code", "code", unique=True),
        Index(
            "uq_takehome_attempts_one_open",
            "application_id",
            "stage_id",
            unique=True,
            sqlite_where=text("status <> 'cancelled'"),
            postgresql_where=text("status <> 'cancelled'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"))
    assignment_id: Mapped[int] = mapped_column(ForeignKey("takehome_assignments.id"))
    status: Mapped[str] = mapped_column(String(16), default=AttemptStatus.NOT_STARTED.value)
    time_limit_minutes: Mapped[int]
    # The clock may be started until then (the stage's start plus the assignment's days to start).
    start_by: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Extra time granted by staff: an extension asked for while working, an accommodation before the start.
    extension_minutes: Mapped[int] = mapped_column(default=0)
    accommodation_minutes: Mapped[int] = mapped_column(default=0)
    # What graders know the take-home by ("TH-7K3Q"): random, set when the first grader is assigned,
    # so nothing a grader reads leads back to the application or the candidate.
    code: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    assignment: Mapped[Assignment] = relationship(lazy="joined")

    def deadline_for(self, started_at: datetime) -> datetime:
        """The one rule for the deadline: start + time limit + approved extension and accommodation."""
        return started_at + timedelta(
            minutes=self.time_limit_minutes + self.extension_minutes + self.accommodation_minutes
        )

    @property
    def is_running(self) -> bool:
        return self.status == AttemptStatus.IN_PROGRESS.value


class Submission(db.Model):
    """One version handed in for an attempt; a resubmission is a new version, the old ones are kept.
    Its files are StoredFile records owned by it; a repository link may stand instead of files."""

    __tablename__ = "takehome_submissions"
    __table_args__ = (
        UniqueConstraint("attempt_id", "version", name="uq_takehome_submissions_version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("file_count >= 0 AND total_bytes >= 0", name="counts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("takehome_attempts.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Judged by the server's clock inside the transaction that records the version.
    late: Mapped[bool] = mapped_column(default=False)
    repository_url: Mapped[str | None] = mapped_column(String(500))
    file_count: Mapped[int] = mapped_column(default=0)
    total_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class TimeRequestKind(str, enum.Enum):
    ACCOMMODATION = "accommodation"  # before the clock starts: extra time for an accessibility need
    EXTENSION = "extension"  # while the clock runs: more time, asked before the deadline


class TimeRequestStatus(str, enum.Enum):
    PENDING = "pending"
    GRANTED = "granted"
    DECLINED = "declined"


class TimeRequest(db.Model):
    """A candidate's request for more time on their take-home, and the team's answer."""

    __tablename__ = "takehome_time_requests"
    __table_args__ = (
        CheckConstraint(f"kind IN ({sql_list(k.value for k in TimeRequestKind)})", name="known_kind"),
        CheckConstraint(f"status IN ({sql_list(s.value for s in TimeRequestStatus)})", name="known_status"),
        CheckConstraint("granted_minutes BETWEEN 0 AND 10080", name="sensible_grant"),
        # One question open at a time: the team answers it before the next.
        Index(
            "uq_takehome_time_requests_one_pending",
            "attempt_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("takehome_attempts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=TimeRequestStatus.PENDING.value)
    granted_minutes: Mapped[int] = mapped_column(default=0)
    answer: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


# Grading: each criterion of the rubric is scored on this scale (the scorecards' scale, so a team
# reads both the same way); the weighted score is the weighted mean, from 1 to 4.
SCORES = {1: "Strong concerns", 2: "Some concerns", 3: "Good", 4: "Outstanding"}


class GradeStatus(str, enum.Enum):
    ASSIGNED = "assigned"  # the grader is asked; nothing scored yet
    SUBMITTED = "submitted"  # final: scores, comments and the recommendation


class GradeRecommendation(str, enum.Enum):
    STRONG_YES = "strong_yes"
    YES = "yes"
    NO = "no"
    STRONG_NO = "strong_no"

    @property
    def label(self) -> str:
        return {"strong_yes": "Strong yes", "yes": "Yes", "no": "No", "strong_no": "Strong no"}[self.value]

    @property
    def passes(self) -> bool:
        return self in (GradeRecommendation.STRONG_YES, GradeRecommendation.YES)


class Grade(db.Model):
    """One grader's blind grade of an application's take-home (its latest version when submitted).

    The row is made when who runs the application assigns the grader, and completed once, on submit."""

    __tablename__ = "takehome_grades"
    __table_args__ = (
        # One grade per grader and take-home, however many assignments race.
        UniqueConstraint("attempt_id", "grader_id", name="uq_takehome_grades_attempt_grader"),
        CheckConstraint(f"status IN ({sql_list(s.value for s in GradeStatus)})", name="known_status"),
        CheckConstraint(
            f"recommendation IS NULL OR recommendation IN ({sql_list(r.value for r in GradeRecommendation)})",
            name="known_recommendation",
        ),
        # A submitted grade is complete and dated, and names the version it graded.
        CheckConstraint(
            "status = 'assigned' OR (recommendation IS NOT NULL AND submitted_at IS NOT NULL "
            "AND submission_id IS NOT NULL AND weighted_score IS NOT NULL)",
            name="submitted_is_complete",
        ),
        CheckConstraint("weighted_score IS NULL OR weighted_score BETWEEN 100 AND 400", name="score_in_range"),
        Index("ix_takehome_grades_grader", "grader_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("takehome_attempts.id", ondelete="CASCADE"), index=True)
    grader_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=GradeStatus.ASSIGNED.value)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("takehome_submissions.id", ondelete="SET NULL"))
    recommendation: Mapped[str | None] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    # The weighted mean of the scores, in hundredths (1.00 to 4.00 as 100 to 400): kept, so the figure
    # the team read stays the figure even if the rubric is edited later.
    weighted_score: Mapped[int | None]
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    scores: Mapped[list[CriterionScore]] = relationship(
        back_populates="grade", order_by="CriterionScore.order", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_submitted(self) -> bool:
        return self.status == GradeStatus.SUBMITTED.value


class CriterionScore(db.Model):
    """A grader's score of one rubric criterion, with the criterion's name and weight as they were."""

    __tablename__ = "takehome_criterion_scores"
    __table_args__ = (
        UniqueConstraint("grade_id", "order", name="uq_takehome_criterion_scores_order"),
        CheckConstraint(f"score BETWEEN {min(SCORES)} AND {max(SCORES)}", name="known_score"),
        CheckConstraint("weight BETWEEN 1 AND 100", name="sensible_weight"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grade_id: Mapped[int] = mapped_column(ForeignKey("takehome_grades.id", ondelete="CASCADE"), index=True)
    # The rubric line scored; the rubric may be edited later, so its name and weight are copied.
    criterion_id: Mapped[int | None] = mapped_column(ForeignKey("takehome_rubric_criteria.id", ondelete="SET NULL"))
    order: Mapped[int]
    name: Mapped[str] = mapped_column(String(120))
    weight: Mapped[int]
    score: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")

    grade: Mapped[Grade] = relationship(back_populates="scores")
