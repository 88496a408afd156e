"""Read models for candidate pages: plain data holding exactly what a candidate may see.

Candidate templates receive these objects, never ORM rows, so no internal field (a note, a
scorecard, another person's name) is ever one attribute away from a candidate's page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased, lazyload

from portal.accounts.models import User
from portal import unit_of_work
from portal.extensions import db
from portal.hiring import queries, timeline
from portal.hiring.forms import QUESTIONS
from portal.hiring.models import (
    Application,
    ApplicationStatus,
    Position,
    PositionStatus,
    Stage,
    StageEvent,
    StageProgress,
    interviews_end_of_current_stage,
    response_due,
    stage_has_response_time,
    whose_move,
)
from portal.security import policy
from portal.timeutil import utcnow


@dataclass(frozen=True)
class Step:
    name: str
    state: str
    state_label: str
    note: str


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    action: str
    text: str
    message: str  # written for the candidate (feedback, a closing message); never internal notes
    by: str = ""  # who acted: filled for staff pages only
    about_at: datetime | None = None  # the time the entry is about, shown after its text in the viewer's zone


@dataclass(frozen=True)
class ApplicationView:
    id: int
    position_id: int
    position_title: str
    position_team: str
    position_closed: bool
    status: str
    status_label: str
    is_active: bool
    step_number: int
    step_count: int
    stage_id: int
    stage_name: str
    stage_summary: str
    next_step: str
    whose_move: str | None  # "candidate", "staff", or None once closed
    next_action: str
    due_at: datetime | None
    overdue: bool
    reapply_after: date | None
    outcome_message: str  # the feedback of a rejection, or the message that came with a closed position
    created_at: datetime
    steps: tuple[Step, ...]
    timeline: tuple[TimelineEntry, ...]
    answers: tuple[tuple[str, str], ...]
    cv_filename: str
    can_withdraw: bool
    bookings: tuple = ()  # portal.scheduling.read.Booking: interviews booked, soonest first
    can_book: bool = False  # the current step's interviews wait for the candidate to choose a time
    # portal.feedback.read: feedback published per stage, the offer, the stages still to rate.
    feedback: tuple = ()
    offer: object = None
    rateable: tuple = ()

    @property
    def outcome_feedback(self):
        """The published feedback of the outcome (a rejection's or an offer's), if any."""
        return next((f for f in self.feedback if f.is_outcome), None)


def timeline_entries(events: list[StageEvent], *, with_actor: bool = False) -> tuple[TimelineEntry, ...]:
    """An application's timeline as plain entries; staff pages also see who acted."""
    return tuple(
        TimelineEntry(
            e.created_at,
            e.action,
            timeline.text(e),
            e.candidate_message,
            e.actor.name if with_actor and e.actor else "",
            e.about_at,
        )
        for e in events
    )


def _view(application: Application, events: list, *, detail: bool) -> ApplicationView:
    from portal.hiring import process

    stage = application.stage
    stages = application.position.process.stages
    entries = timeline_entries(events)
    outcome = (
        next(
            (e.candidate_message for e in reversed(events) if e.action in ("reject", "close") and e.candidate_message),
            "",
        )
        if events
        else ""
    )
    progress = application.progress
    due = application.sla_due_at()
    steps = (
        tuple(Step(s.stage.name, s.state, s.state_label, s.note) for s in queries.tracker(application))
        if detail
        else ()
    )
    answers = (
        tuple((QUESTIONS[key], application.answers.get(key, "")) for key in QUESTIONS if application.answers.get(key))
        if detail
        else ()
    )
    return ApplicationView(
        id=application.id,
        position_id=application.position_id,
        position_title=application.position.title,
        position_team=application.position.team,
        position_closed=application.position.status == PositionStatus.CLOSED.value,
        status=application.status,
        status_label=application.status_label,
        is_active=application.is_active,
        step_number=stage.order,
        step_count=len(stages),
        stage_id=stage.id,
        stage_name=stage.name,
        stage_summary=stage.candidate_summary,
        next_step=stage.next_step,
        whose_move=application.whose_move(),
        next_action=progress.next_action if progress else "",
        due_at=due,
        overdue=due is not None and utcnow() > due,
        reapply_after=application.reapply_after,
        outcome_message=outcome,
        created_at=application.created_at,
        steps=steps,
        timeline=entries,
        answers=answers,
        cv_filename=(application.cv_file.name if application.cv_file else "") if detail else "",
        can_withdraw=detail and process.Action.WITHDRAW in process.allowed_actions(application, application.candidate),
        **(_scheduling(application) if detail else {}),
        **(_outcomes(application) if detail else {}),
    )


def _scheduling(application: Application) -> dict:
    from portal.scheduling import read, services

    bookings = tuple(read.bookings_of(application.id))
    # Interviews booked, held or missed all hold the step: only cancelled ones leave it to book again.
    booked_now = any(b.stage_id == application.stage_id and b.status != "cancelled" for b in bookings)
    return {
        "bookings": bookings,
        "can_book": application.is_active and not booked_now and bool(services.planned_interviews(application)),
    }


def _outcomes(application: Application) -> dict:
    from portal.feedback import read

    return read.for_application(application)


def for_mail(application: Application) -> ApplicationView:
    """What a mail about the application may say to its candidate (no timeline: the mail says one thing)."""
    return _view(application, [], detail=False)


@dataclass(frozen=True)
class _Event:
    """What a candidate's timeline reads of a stage event: no actor, whose name is for staff pages."""

    action: str
    created_at: datetime
    candidate_message: str
    from_stage: Stage | None
    to_stage: Stage | None
    about_at: datetime | None
    detail: str
    actor: None = None


def _candidate_events(application: Application) -> list[_Event]:
    """The application's events as plain values, oldest first, with stage names from its own process
    (in the session already): one column query, no rows of people behind it."""
    stages = {stage.id: stage for stage in application.position.process.stages}

    def stage(stage_id: int | None) -> Stage | None:
        if stage_id is None:
            return None
        return stages.get(stage_id) or db.session.get(Stage, stage_id)

    rows = db.session.execute(
        select(
            StageEvent.action,
            StageEvent.created_at,
            StageEvent.candidate_message,
            StageEvent.from_stage_id,
            StageEvent.to_stage_id,
            StageEvent.about_at,
            StageEvent.detail,
        )
        .where(StageEvent.application_id == application.id)
        .order_by(StageEvent.id)
    )
    return [
        _Event(action, at, message, stage(before), stage(after), about, detail)
        for action, at, message, before, after, about, detail in rows
    ]


def application_for(candidate: User, application_id: int) -> ApplicationView | None:
    """One of the candidate's own applications, as the candidate may read it (None if not theirs)."""
    application = (
        db.session.scalars(
            select(Application)
            .where(Application.id == application_id, policy.owns_application.where(candidate))
            # The candidate is the signed-in user, already in the session: no join to read them again.
            .options(*queries.APPLICATION_WITH_STAGES, lazyload(Application.candidate))
        )
        .unique()
        .one_or_none()
    )
    if application is None:
        return None
    # The page's capability sections (the technical screen...) read the same application and stages.
    unit_of_work.keep_for_request(application)
    return _view(application, _candidate_events(application), detail=True)


def applications_for(candidate: User) -> list[ApplicationView]:
    """The candidate's applications, newest first, for the dashboard (where each one is a card: the
    timeline and the feedback are on the application's own page). One query of the columns a card
    shows; the rules (whose move, the answer-by date) are the ones the application's page applies."""
    from portal.feedback.outcome_models import Offer, OfferStatus
    from portal.feedback.read import OfferView

    step_count = (
        select(func.count()).select_from(_process_stage).where(_process_stage.template_id == Position.process_id)
    ).scalar_subquery()
    rows = db.session.execute(
        select(
            Application.id,
            Application.position_id,
            Application.status,
            Application.stage_id,
            Application.stage_entered_at,
            Application.reapply_after,
            Application.created_at,
            Position.title,
            Position.team,
            Position.status.label("position_status"),
            Position.sla_days,
            Stage.order,
            Stage.name,
            Stage.kind,
            Stage.sla_days.label("stage_sla_days"),
            Stage.candidate_summary,
            Stage.next_step,
            StageProgress.waiting_on,
            StageProgress.next_action,
            StageProgress.paused_seconds,
            interviews_end_of_current_stage().label("interviews_end"),
            step_count.label("step_count"),
            Offer.id.label("offer_id"),
            Offer.role_title,
            Offer.start_date,
            Offer.note.label("offer_note"),
            Offer.status.label("offer_status"),
            Offer.made_at,
            Offer.answered_at,
        )
        .join(Position, Position.id == Application.position_id)
        .join(Stage, Stage.id == Application.stage_id)
        .outerjoin(
            StageProgress,
            and_(StageProgress.application_id == Application.id, StageProgress.stage_id == Application.stage_id),
        )
        .outerjoin(Offer, Offer.application_id == Application.id)
        .where(policy.owns_application.where(candidate))
        .order_by(Application.created_at.desc(), Application.id.desc())
    )
    now = utcnow()
    cards = []
    for row in rows:
        active = row.status == ApplicationStatus.ACTIVE.value
        due = response_due(
            row.stage_entered_at,
            row.sla_days,
            timed=active and stage_has_response_time(row.kind, row.stage_sla_days),
            waiting_on=row.waiting_on,
            paused_seconds=row.paused_seconds or 0,
            interviews_end=row.interviews_end,
        )
        cards.append(
            ApplicationView(
                id=row.id,
                position_id=row.position_id,
                position_title=row.title,
                position_team=row.team,
                position_closed=row.position_status == PositionStatus.CLOSED.value,
                status=row.status,
                status_label=ApplicationStatus(row.status).label,
                is_active=active,
                step_number=row.order,
                step_count=row.step_count,
                stage_id=row.stage_id,
                stage_name=row.name,
                stage_summary=row.candidate_summary,
                next_step=row.next_step,
                whose_move=whose_move(row.status, row.kind, row.waiting_on),
                next_action=row.next_action or "",
                due_at=due,
                overdue=due is not None and now > due,
                reapply_after=row.reapply_after,
                outcome_message="",
                created_at=row.created_at,
                steps=(),
                timeline=(),
                answers=(),
                cv_filename="",
                can_withdraw=False,
                offer=OfferView(
                    role_title=row.role_title,
                    start_date=row.start_date,
                    note=row.offer_note,
                    status=row.offer_status,
                    status_label=OfferStatus(row.offer_status).label,
                    made_at=row.made_at,
                    answered_at=row.answered_at,
                )
                if row.offer_id is not None
                else None,
            )
        )
    return cards


# The stages of an application's process, counted beside the stage it is at.
_process_stage = aliased(Stage)


@dataclass(frozen=True)
class StageSummary:
    name: str
    duration: str
    candidate_summary: str


@dataclass(frozen=True)
class PositionView:
    """A position as anyone may read it: no staff names, no internal settings beyond the promises."""

    id: int
    title: str
    team: str
    location: str
    summary: str
    description: str
    is_open: bool
    sla_days: int
    stages: tuple[StageSummary, ...]


def position_view(position: Position) -> PositionView:
    return PositionView(
        id=position.id,
        title=position.title,
        team=position.team,
        location=position.location,
        summary=position.summary,
        description=position.description,
        is_open=position.is_open,
        sla_days=position.sla_days,
        stages=tuple(StageSummary(s.name, s.duration, s.candidate_summary) for s in position.process.stages),
    )


def visible_position(position_id: int) -> PositionView | None:
    """The position page's read: one position anyone may see (not a draft) and its stages, in one
    query of the columns shown; None for a position nobody outside staff may see."""
    rows = db.session.execute(
        select(
            Position.id,
            Position.title,
            Position.team,
            Position.location,
            Position.summary,
            Position.description,
            Position.status,
            Position.sla_days,
            Stage.name,
            Stage.duration,
            Stage.candidate_summary,
        )
        .outerjoin(Stage, Stage.template_id == Position.process_id)
        .where(Position.id == position_id, Position.status != PositionStatus.DRAFT.value)
        .order_by(Stage.order)
    ).all()
    if not rows:
        return None
    first = rows[0]
    return PositionView(
        id=first.id,
        title=first.title,
        team=first.team,
        location=first.location,
        summary=first.summary,
        description=first.description,
        is_open=first.status == PositionStatus.OPEN.value,
        sla_days=first.sla_days,
        stages=tuple(StageSummary(r.name, r.duration, r.candidate_summary) for r in rows if r.name is not None),
    )


@dataclass(frozen=True)
class PositionCard:
    """A position as the list of open positions shows it."""

    id: int
    title: str
    team: str
    location: str
    summary: str


def open_positions() -> list[PositionCard]:
    # The columns the list shows, in one query: no process, no stages, no ORM rows to build.
    query = Position.open_positions().with_only_columns(
        Position.id, Position.title, Position.team, Position.location, Position.summary
    )
    return [PositionCard(*row) for row in db.session.execute(query)]
