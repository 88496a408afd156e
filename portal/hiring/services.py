"""Hiring operations. Each public function is one transaction: it commits, or rolls back and raises."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.exc import StaleDataError

from portal import audit
from portal.accounts.models import User
from portal.errors import AlreadyApplied, CooldownActive, PositionNotOpen, TransitionNotAllowed
from portal.extensions import db
from portal.unit_of_work import transactional
from portal.hiring import process
from portal.hiring.default_process import ensure_default_process
from portal.hiring.models import Application, ApplicationStatus, Position, PositionStatus, StageEvent
from portal.notifications.services import queue_mail
from portal.storage import services as storage
from portal.timeutil import utcnow

POSITION_FIELDS = (
    "title", "team", "location", "summary", "description", "reapply_cooldown_months",
    "sla_days", "hiring_manager_id", "recruiter_id",
)


@transactional
def create_position(actor: User, *, status: str = PositionStatus.OPEN.value, **fields) -> Position:
    position = Position(process=ensure_default_process(), status=status,
                        **{k: v for k, v in fields.items() if k in POSITION_FIELDS})
    db.session.add(position)
    db.session.flush()
    audit.record("position.create", position, actor=actor, title=position.title, status=status)
    return position


@transactional
def update_position(actor: User, position: Position, **fields) -> Position:
    changed = {}
    for key in POSITION_FIELDS:
        if key in fields and getattr(position, key) != fields[key]:
            changed[key] = fields[key]
            setattr(position, key, fields[key])
    if "status" in fields and fields["status"] != position.status:
        changed["status"] = fields["status"]
        _set_status(position, fields["status"])
    if changed:
        audit.record("position.update", position, actor=actor,
                     fields=sorted(changed))
    return position


def _set_status(position: Position, status: str) -> None:
    position.status = PositionStatus(status).value
    position.closed_at = utcnow() if status == PositionStatus.CLOSED.value else None


@transactional
def close_position(actor: User, position: Position) -> Position:
    if position.status == PositionStatus.CLOSED.value:
        return position
    _set_status(position, PositionStatus.CLOSED.value)
    audit.record("position.close", position, actor=actor)
    return position


def cooldown_until(candidate: User, position: Position, today: date | None = None) -> date | None:
    """The date from which `candidate` may apply to `position` again, if a rejection still blocks it."""
    today = today or utcnow().date()
    until = db.session.scalar(
        select(Application.reapply_after)
        .where(
            Application.candidate_id == candidate.id,
            Application.position_id == position.id,
            Application.status == ApplicationStatus.REJECTED.value,
            Application.reapply_after > today,
        )
        .order_by(Application.reapply_after.desc())
        .limit(1)
    )
    return until


def active_application(candidate: User, position: Position) -> Application | None:
    return db.session.scalar(
        Application.for_candidate(candidate).where(
            Application.position_id == position.id, Application.status == ApplicationStatus.ACTIVE.value
        )
    )


def check_can_apply(candidate: User, position: Position) -> None:
    if not position.is_open:
        raise PositionNotOpen("This position is not open for applications.")
    until = cooldown_until(candidate, position)
    if until:
        raise CooldownActive(until)
    if active_application(candidate, position):
        raise AlreadyApplied("You have already applied to this position; follow it on your dashboard.")
    if db.session.scalar(Application.for_candidate(candidate).where(
            Application.position_id == position.id, Application.status == ApplicationStatus.HIRED.value)):
        raise AlreadyApplied("You already have an offer for this position.")


def apply(candidate: User, position: Position, *, cv_stream, cv_filename: str, answers: dict) -> Application:
    """Store the CV and create the application at the first stage, with its event, audit and mail."""
    try:
        return _apply(candidate, position, cv_stream=cv_stream, cv_filename=cv_filename, answers=answers)
    except IntegrityError:
        # A race with a second submission lands on the unique index: report it like the check above.
        if active_application(candidate, position):
            raise AlreadyApplied("You have already applied to this position; follow it on your dashboard.") from None
        raise


@transactional
def _apply(candidate: User, position: Position, *, cv_stream, cv_filename: str, answers: dict) -> Application:
    check_can_apply(candidate, position)
    cv = storage.store_upload(cv_stream, cv_filename, "cv", owner=candidate, actor=candidate)
    stage = position.process.first_stage()
    application = Application(
        position=position, candidate=candidate, stage=stage,
        status=ApplicationStatus.ACTIVE.value, answers=answers, cv_file=cv,
    )
    db.session.add(application)
    db.session.add(StageEvent(application=application, action="applied", to_stage=stage,
                              actor_id=candidate.id))
    db.session.flush()
    audit.record("application.create", application, actor=candidate, position_id=position.id,
                 cv_file_id=cv.id, cv_sha256=cv.sha256)
    queue_mail(candidate, "application_received", application=application,
               candidate=candidate, position=position, stage=stage)
    return application


def lock_application(application_id: int) -> Application | None:
    """Load an application for a change, holding its row lock on PostgreSQL until commit."""
    # The row alone: when PostgreSQL re-reads a row that another transaction changed while we waited
    # for its lock, outer-joined rows come from the old snapshot (a moved application would appear
    # to have no stage). Relationships load afterwards, from the fresh row.
    return db.session.scalar(
        select(Application).where(Application.id == application_id).with_for_update()
        .options(lazyload("*")).execution_options(populate_existing=True)
    )


@transactional
def move(application_id: int, action: process.Action | str, actor: User, *, feedback: str = "",
         expected_stage_id: int | None = None) -> Application:
    """Take a process action on an application in its own transaction."""
    application = lock_application(application_id)
    if application is None:
        raise LookupError(application_id)
    try:
        process.transition(application, action, actor, feedback=feedback, expected_stage_id=expected_stage_id)
        db.session.flush()
    except StaleDataError:
        raise TransitionNotAllowed(
            "This application was changed by someone else at the same moment. Reload the page and try again."
        ) from None
    return application


@transactional
def record_view(actor: User, application: Application, what: str) -> None:
    """Audit a staff member opening an application or downloading its CV (sensitive data)."""
    audit.record(f"application.{what}", application, actor=actor)
