"""Positions, their process (stages as data), applications and the stage timeline."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import ROLE_VALUES, User
from portal.extensions import db
from portal.storage.models import StoredFile
from portal.timeutil import UTCDateTime, add_working_days, utcnow


class ProcessTemplate(db.Model):
    """An ordered list of stages a position runs; the default one comes from PRODUCT.md."""

    __tablename__ = "process_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    is_default: Mapped[bool] = mapped_column(default=False)

    stages: Mapped[list[Stage]] = relationship(
        back_populates="template", order_by="Stage.order", cascade="all, delete-orphan", lazy="selectin"
    )

    def first_stage(self) -> Stage:
        return self.stages[0]

    def stage_after(self, stage: Stage) -> Stage | None:
        later = [s for s in self.stages if s.order > stage.order]
        return later[0] if later else None

    def stage_by_key(self, key: str) -> Stage | None:
        return next((s for s in self.stages if s.key == key), None)


class StageKind(str, enum.Enum):
    """What a stage does; later capabilities (booking, take-home, scorecards) hook onto the kind."""

    REVIEW = "review"  # staff look at the application
    SCREEN = "screen"  # one interview
    TECHNICAL = "technical"  # live screen or take-home, by the candidate's choice
    LOOP = "loop"  # several interviews on one day
    DECISION = "decision"
    OUTCOME = "outcome"


def sql_list(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class TechnicalFormat(str, enum.Enum):
    """The two formats of a technical screen; the candidate chooses one."""

    LIVE = "live"
    TAKE_HOME = "take_home"


class Stage(db.Model):
    __tablename__ = "stages"
    __table_args__ = (
        UniqueConstraint("template_id", "key", name="uq_stages_template_key"),
        UniqueConstraint("template_id", "order", name="uq_stages_template_order"),
        CheckConstraint("sla_days >= 0", name="sla_not_negative"),
        CheckConstraint(f"kind IN ({sql_list(k.value for k in StageKind)})", name="known_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("process_templates.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    order: Mapped[int]
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    owner: Mapped[str] = mapped_column(String(120))  # who acts, as the candidate reads it
    duration: Mapped[str] = mapped_column(String(120), default="")
    # What the candidate reads while at this stage, and what happens next.
    candidate_summary: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[str] = mapped_column(Text, default="")
    sla_days: Mapped[int] = mapped_column(default=5)

    template: Mapped[ProcessTemplate] = relationship(back_populates="stages")
    # The interviews this stage holds, in order (empty for stages without interviews).
    interview_plan: Mapped[list[PlannedInterview]] = relationship(
        # Scheduling reads it; pages that only show the stages never load it.
        back_populates="stage",
        order_by="PlannedInterview.order",
        cascade="all, delete-orphan",
        lazy="select",
    )

    def interviews_for(self, technical_format: str | None = None) -> list[PlannedInterview]:
        """The planned interviews that apply, given the technical-screen format chosen (if any)."""
        return [p for p in self.interview_plan if p.format is None or p.format == technical_format]

    @property
    def is_outcome(self) -> bool:
        return self.kind == StageKind.OUTCOME.value

    @property
    def is_decision(self) -> bool:
        return self.kind == StageKind.DECISION.value

    @property
    def has_response_time(self) -> bool:
        return stage_has_response_time(self.kind, self.sla_days)


class InterviewKind(db.Model):
    """A kind of interview (coding, system design, HR behavioural ...): what stage plans and
    interviewers' qualifications refer to."""

    __tablename__ = "interview_kinds"
    __table_args__ = (CheckConstraint("default_minutes BETWEEN 10 AND 480", name="sensible_length"),)

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    default_minutes: Mapped[int] = mapped_column(default=45)


class PlannedInterview(db.Model):
    """One interview of a stage's plan: its kind, its length, and who may run it."""

    __tablename__ = "planned_interviews"
    __table_args__ = (
        UniqueConstraint("stage_id", "order", name="uq_planned_interviews_stage_order"),
        CheckConstraint("minutes BETWEEN 10 AND 480", name="sensible_length"),
        CheckConstraint(f"run_by_role IN ({sql_list(ROLE_VALUES)})", name="known_role"),
        CheckConstraint(
            f"format IS NULL OR format IN ({sql_list(f.value for f in TechnicalFormat)})", name="known_format"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id", ondelete="CASCADE"), index=True)
    order: Mapped[int]
    kind_key: Mapped[str] = mapped_column(ForeignKey("interview_kinds.key"))
    minutes: Mapped[int]
    # Who may run it: a staff member holding this role, qualified for the kind when the plan says so.
    run_by_role: Mapped[str] = mapped_column(String(32))
    needs_qualification: Mapped[bool] = mapped_column(default=True)
    # Only for this technical-screen format (the live screen is an interview, the take-home is not).
    format: Mapped[str | None] = mapped_column(String(20))

    stage: Mapped[Stage] = relationship(back_populates="interview_plan")
    kind: Mapped[InterviewKind] = relationship(lazy="joined")


class StaffQualification(db.Model):
    """An interview kind a staff member is qualified to run."""

    __tablename__ = "staff_qualifications"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind_key: Mapped[str] = mapped_column(ForeignKey("interview_kinds.key", ondelete="CASCADE"), primary_key=True)


class PositionStatus(str, enum.Enum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Position(db.Model):
    __tablename__ = "positions"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'open', 'closed')", name="known_status"),
        CheckConstraint("reapply_cooldown_months BETWEEN 6 AND 12", name="cooldown_between_6_and_12_months"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    team: Mapped[str] = mapped_column(String(120))
    location: Mapped[str] = mapped_column(String(120), default="")
    summary: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=PositionStatus.DRAFT.value, index=True)
    reapply_cooldown_months: Mapped[int] = mapped_column(default=6)
    sla_days: Mapped[int] = mapped_column(default=5)
    process_id: Mapped[int] = mapped_column(ForeignKey("process_templates.id"))
    hiring_manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recruiter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    process: Mapped[ProcessTemplate] = relationship(lazy="joined")
    hiring_manager: Mapped[User | None] = relationship(foreign_keys=[hiring_manager_id])
    recruiter: Mapped[User | None] = relationship(foreign_keys=[recruiter_id])

    @property
    def is_open(self) -> bool:
        return self.status == PositionStatus.OPEN.value

    @classmethod
    def open_positions(cls):
        return select(cls).where(cls.status == PositionStatus.OPEN.value).order_by(cls.title)


_LOOK_IT_UP = object()  # a value the caller did not read: the model reads it


class ApplicationStatus(str, enum.Enum):
    ACTIVE = "active"
    HIRED = "hired"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"  # the position closed while the application was in progress

    @property
    def label(self) -> str:
        return {
            "active": "In progress",
            "hired": "Offer",
            "rejected": "Not selected",
            "withdrawn": "Withdrawn",
            "closed": "Position closed",
        }[self.value]


class Application(db.Model):
    __tablename__ = "applications"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_list(s.value for s in ApplicationStatus)})", name="known_status"),
        CheckConstraint("(status = 'rejected') = (reapply_after IS NOT NULL)", name="reapply_date_iff_rejected"),
        # At most one application in progress per candidate and position.
        Index(
            "uq_applications_one_active",
            "candidate_id",
            "position_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        # The pipeline: a page of a position's applications in the order they wait (read in index
        # order, so the first page costs the same at 100 or 100,000 applications) ...
        Index("ix_applications_position_waiting", "position_id", "stage_entered_at", "id"),
        # ... and the per-stage counts by an index-only scan, plus one stage's applications in order.
        Index("ix_applications_position_status_stage", "position_id", "status", "stage_id", "stage_entered_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"))
    status: Mapped[str] = mapped_column(String(16), default=ApplicationStatus.ACTIVE.value, index=True)
    stage_entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reapply_after: Mapped[date | None] = mapped_column(Date)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    # The CV sent with the application; empty only if the file was later erased.
    cv_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id", ondelete="SET NULL"), unique=True)
    # Optimistic lock: every UPDATE checks the version it read, so two requests racing on SQLite
    # (no row locks) cannot both move the same application; the loser gets StaleDataError.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    position: Mapped[Position] = relationship(lazy="joined")
    candidate: Mapped[User] = relationship(lazy="joined")
    stage: Mapped[Stage] = relationship(lazy="joined")
    cv_file: Mapped[StoredFile | None] = relationship(lazy="joined")
    events: Mapped[list[StageEvent]] = relationship(
        back_populates="application", order_by="StageEvent.id", cascade="all, delete-orphan"
    )
    # Progress within the current stage (format chosen, whose move it is), when a capability keeps any.
    progress: Mapped[StageProgress | None] = relationship(
        primaryjoin="and_(StageProgress.application_id == Application.id, "
        "StageProgress.stage_id == Application.stage_id)",
        viewonly=True,
        uselist=False,
        lazy="selectin",
    )

    @property
    def is_active(self) -> bool:
        return self.status == ApplicationStatus.ACTIVE.value

    def whose_move(self) -> str | None:
        """ "candidate" or "staff" while the application is in progress, None once it is closed."""
        return whose_move(self.status, self.stage.kind, self.progress.waiting_on if self.progress else None)

    @property
    def status_label(self) -> str:
        return ApplicationStatus(self.status).label

    def sla_due_at(self, interviews_end: datetime | None | object = _LOOK_IT_UP) -> datetime | None:
        """When the candidate should hear back at the latest, while the application is in progress
        (`interviews_end`: when the current stage's last interview ends, if the caller read it)."""
        progress = self.progress
        timed = self.is_active and self.stage.has_response_time
        waiting_on = progress.waiting_on if progress else None
        if interviews_end is _LOOK_IT_UP:
            # Read only when it can matter: no promise runs while the move is the candidate's.
            counts = timed and waiting_on != WaitingOn.CANDIDATE.value
            interviews_end = db.session.scalar(interviews_end_at(self.id, self.stage_id)) if counts else None
        return response_due(
            self.stage_entered_at,
            self.position.sla_days,
            timed=timed,
            waiting_on=waiting_on,
            paused_seconds=progress.paused_seconds if progress else 0,
            interviews_end=interviews_end,
        )

    def sla_overdue(self, now: datetime | None = None) -> bool:
        due = self.sla_due_at()
        return due is not None and (now or utcnow()) > due

    def days_in_stage(self, now: datetime | None = None) -> int:
        return max(0, ((now or utcnow()) - self.stage_entered_at).days)

    # Object-level scoping lives in queries, so an unscoped read stands out in review.
    @classmethod
    def for_candidate(cls, user: User):
        return select(cls).where(cls.candidate_id == user.id)


class WaitingOn(str, enum.Enum):
    STAFF = "staff"
    CANDIDATE = "candidate"


def stage_has_response_time(kind: str, sla_days: int) -> bool:
    """Whether an application waiting at a stage is promised an answer (outcomes and SLA 0 are not)."""
    return kind != StageKind.OUTCOME.value and bool(sla_days)


def whose_move(status: str, stage_kind: str, waiting_on: str | None) -> str | None:
    """ "candidate" or "staff" while an application is in progress (`waiting_on`: its progress in the
    current stage, if any is kept), None once it is closed; the one rule for pages and queries."""
    if status != ApplicationStatus.ACTIVE.value or stage_kind == StageKind.OUTCOME.value:
        return None
    return waiting_on or WaitingOn.STAFF.value


def response_due(
    entered_at: datetime,
    working_days: int,
    *,
    timed: bool,
    waiting_on: str | None,
    paused_seconds: int,
    interviews_end: datetime | None = None,
) -> datetime | None:
    """When a candidate should hear back, for an application `timed` (in progress, in a stage that
    promises a response) that entered its stage at `entered_at`; the one rule for pages and queries.

    The clock stops while the next step is the candidate's (a take-home in progress), and the time it
    stood still is added to the promise when it runs again. While the stage has interviews (booked
    ahead, or held: `interviews_end` is when the last one ends), the answer is promised the same
    working days after them if that is later, never before the interview itself."""
    if not timed or waiting_on == WaitingOn.CANDIDATE.value:
        return None
    due = add_working_days(entered_at, working_days) + timedelta(seconds=paused_seconds or 0)
    if interviews_end is not None:
        due = max(due, add_working_days(interviews_end, working_days))
    return due


def interviews_end_at(application_id, stage_id):
    """SQL: when the last interview of an application at a stage that holds its time (booked, held or
    missed, not cancelled) ends; None without one. Its arguments are values or columns."""
    from portal.scheduling.models import Interview, holds_time_clause

    return select(func.max(Interview.ends_at)).where(
        Interview.application_id == application_id, Interview.stage_id == stage_id, holds_time_clause()
    )


def interviews_end_of_current_stage():
    """`interviews_end_at` of each Application row of the enclosing query, at its current stage."""
    return interviews_end_at(Application.id, Application.stage_id).correlate(Application).scalar_subquery()


class StageProgress(db.Model):
    """Where an application stands within one stage: the step reached, the technical-screen format
    chosen, whose move it is. Capabilities add steps and data here, not columns to Application."""

    __tablename__ = "stage_progress"
    __table_args__ = (
        UniqueConstraint("application_id", "stage_id", name="uq_stage_progress_application_stage"),
        CheckConstraint(f"waiting_on IN ({sql_list(w.value for w in WaitingOn)})", name="known_waiting_on"),
        CheckConstraint(
            f"format IS NULL OR format IN ({sql_list(f.value for f in TechnicalFormat)})", name="known_format"
        ),
        CheckConstraint("paused_seconds >= 0", name="pause_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"))
    step: Mapped[str] = mapped_column(String(40), default="started")
    format: Mapped[str | None] = mapped_column(String(20))
    waiting_on: Mapped[str] = mapped_column(String(16), default=WaitingOn.STAFF.value)
    # What the one whose move it is should do next, in the candidate's words ("Upload your work").
    next_action: Mapped[str] = mapped_column(String(300), default="")
    waiting_since: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Time the response clock stood still in this stage while the move was the candidate's.
    paused_seconds: Mapped[int] = mapped_column(default=0)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PanelMember(db.Model):
    """A staff member on an application's interview panel (interviewers, graders): who may see it."""

    __tablename__ = "panel_members"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StageEvent(db.Model):
    """One entry of an application's timeline."""

    __tablename__ = "stage_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id"))
    to_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Text written for the candidate (e.g. the feedback of a rejection); never internal notes.
    candidate_message: Mapped[str] = mapped_column(Text, default="")
    # The time the event is about (an interview's start, a take-home's deadline), stored in UTC and
    # shown in the viewer's own zone, so the text itself never carries a time.
    about_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A plain fact the text names (the format chosen, the version handed in); never free text.
    detail: Mapped[str] = mapped_column(String(40), default="", server_default="")

    application: Mapped[Application] = relationship(back_populates="events")
    from_stage: Mapped[Stage | None] = relationship(foreign_keys=[from_stage_id], lazy="joined")
    to_stage: Mapped[Stage | None] = relationship(foreign_keys=[to_stage_id], lazy="joined")
    actor: Mapped[User | None] = relationship(lazy="joined")
