"""Hiring operations. Each public function is one transaction: it commits, or rolls back and raises."""

from __future__ import annotations

import enum
from datetime import date, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.exc import StaleDataError

from portal import audit
from portal.accounts.models import Role, User
from portal.audit.models import AuditEntry
from portal.errors import AlreadyApplied, CooldownActive, DomainError, PositionNotOpen, TransitionNotAllowed
from portal.extensions import db
from portal.unit_of_work import transactional
from portal.hiring import candidate_read, process
from portal.hiring.default_process import ensure_default_process, ensure_interview_kinds
from portal.hiring.models import (
    Application,
    ApplicationStatus,
    InterviewKind,
    PanelMember,
    Position,
    PositionStatus,
    StaffQualification,
    StageEvent,
)
from portal.notifications.services import queue_mail
from portal.storage import services as storage
from portal.timeutil import utcnow

POSITION_FIELDS = (
    "title",
    "team",
    "location",
    "summary",
    "description",
    "reapply_cooldown_months",
    "sla_days",
    "hiring_manager_id",
    "recruiter_id",
)


@transactional
def create_position(actor: User, *, status: str = PositionStatus.OPEN.value, **fields) -> Position:
    fields = {k: v for k, v in fields.items() if k in POSITION_FIELDS}
    # Whoever creates a position holds their role on it unless someone else is named.
    if actor.has_role(Role.RECRUITER):
        fields.setdefault("recruiter_id", actor.id)
    if actor.has_role(Role.HIRING_MANAGER) and not actor.has_role(Role.RECRUITER):
        fields.setdefault("hiring_manager_id", actor.id)
    position = Position(process=ensure_default_process(), status=status, **fields)
    db.session.add(position)
    db.session.flush()
    audit.record("position.create", position, actor=actor, title=position.title, status=status)
    return position


@transactional
def update_position(actor: User, position: Position, **fields) -> Position:
    changes = {}
    for key in POSITION_FIELDS:
        if key in fields and getattr(position, key) != fields[key]:
            changes[key] = {"from": getattr(position, key), "to": fields[key]}
            setattr(position, key, fields[key])
    status = fields.get("status")
    if status and status != position.status:
        if status == PositionStatus.CLOSED.value:
            # Closing decides what happens to the applications in progress: that is close_position's job.
            raise DomainError("Close a position with its Close button, which asks what happens to its applications.")
        changes["status"] = {"from": position.status, "to": status}
        _set_status(position, status)
    if changes:
        audit.record("position.update", position, actor=actor, changes=changes)
    return position


def _set_status(position: Position, status: str) -> None:
    position.status = PositionStatus(status).value
    position.closed_at = utcnow() if status == PositionStatus.CLOSED.value else None


class ClosingChoice(str, enum.Enum):
    CONTINUE = "continue"  # applications in progress go on to their outcome
    CLOSE = "close"  # each application in progress ends, with a message to its candidate


@transactional
def close_position(
    actor: User, position: Position, *, applications: ClosingChoice | str = ClosingChoice.CONTINUE, message: str = ""
) -> int:
    """Close a position to new applications; returns how many applications in progress were closed."""
    choice = ClosingChoice(applications)
    message = (message or "").strip()
    if choice is ClosingChoice.CLOSE and not message:
        raise DomainError("Write the message the candidates will read.")
    # One conditional UPDATE: of two people closing at once, exactly one closes it (on both databases).
    now = utcnow()
    changed = db.session.execute(
        update(Position)
        .where(Position.id == position.id, Position.status != PositionStatus.CLOSED.value)
        .values(status=PositionStatus.CLOSED.value, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        raise DomainError("This position is already closed.")
    position.status, position.closed_at = PositionStatus.CLOSED.value, now
    ids = db.session.scalars(
        select(Application.id)
        .where(
            Application.position_id == position.id,
            Application.status == ApplicationStatus.ACTIVE.value,
        )
        .order_by(Application.id)
    ).all()
    closed = 0
    if choice is ClosingChoice.CLOSE:
        for application_id in ids:
            application = lock_application(application_id)
            if application is not None and application.is_active:
                process.transition(application, process.Action.CLOSE, actor, feedback=message)
                closed += 1
    audit.record(
        "position.close", position, actor=actor, applications=choice.value, in_progress=len(ids), closed=closed
    )
    return closed


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


def apply_refusal(candidate: User, position: Position | candidate_read.PositionView) -> DomainError | None:
    """Why `candidate` may not apply to `position` now, or None: the one answer for pages and `apply`.
    The position page asks with its read model, `apply` with the row: only `id` and `is_open` count."""
    try:
        check_can_apply(candidate, position)
    except DomainError as exc:
        return exc
    return None


def check_can_apply(
    candidate: User, position: Position | candidate_read.PositionView, today: date | None = None
) -> None:
    if not position.is_open:
        raise PositionNotOpen("This position is not open for applications.")
    today = today or utcnow().date()
    # One look at the candidate's applications to this position that still stand or still block.
    rows = db.session.execute(
        select(Application.id, Application.status, Application.reapply_after).where(
            Application.candidate_id == candidate.id,
            Application.position_id == position.id,
            or_(
                Application.status.in_([ApplicationStatus.ACTIVE.value, ApplicationStatus.HIRED.value]),
                and_(Application.status == ApplicationStatus.REJECTED.value, Application.reapply_after > today),
            ),
        )
    ).all()
    blocked = [row.reapply_after for row in rows if row.status == ApplicationStatus.REJECTED.value]
    if blocked:
        raise CooldownActive(max(blocked))
    active = [row.id for row in rows if row.status == ApplicationStatus.ACTIVE.value]
    if active:
        raise AlreadyApplied(
            "You have already applied to this position; follow it on your dashboard.", application_id=active[0]
        )
    if rows:
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
        position=position,
        candidate=candidate,
        stage=stage,
        status=ApplicationStatus.ACTIVE.value,
        answers=answers,
        cv_file=cv,
    )
    db.session.add(application)
    db.session.add(StageEvent(application=application, action="applied", to_stage=stage, actor_id=candidate.id))
    db.session.flush()
    audit.record(
        "application.create",
        application,
        actor=candidate,
        position_id=position.id,
        cv_file_id=cv.id,
        cv_sha256=cv.sha256,
    )
    queue_mail(
        candidate,
        "application_received",
        application=candidate_read.for_mail(application),
        candidate_name=candidate.name,
    )
    return application


def lock_application(application_id: int) -> Application | None:
    """Load an application for a change, holding its row lock on PostgreSQL until commit."""
    # The row alone: when PostgreSQL re-reads a row that another transaction changed while we waited
    # for its lock, outer-joined rows come from the old snapshot (a moved application would appear
    # to have no stage). Relationships load afterwards, from the fresh row.
    if db.session.get_bind().dialect.name != "postgresql":
        # SQLite has no row locks but one writer at a time: a write that changes nothing takes the
        # writer's lock now, so two changes of one application never both read it before either wrote.
        db.session.execute(
            update(Application).where(Application.id == application_id).values(version=Application.version),
            execution_options={"synchronize_session": False},
        )
    return db.session.scalar(
        select(Application)
        .where(Application.id == application_id)
        .with_for_update()
        .options(lazyload("*"))
        .execution_options(populate_existing=True)
    )


@transactional
def move(
    application_id: int,
    action: process.Action | str,
    actor: User,
    *,
    feedback: str = "",
    expected_stage_id: int | None = None,
) -> Application:
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
def add_to_panel(actor: User | None, application: Application, member: User) -> None:
    """Put a staff member on an application's interview panel: from then on they may open it."""
    if not member.is_staff:
        raise DomainError("Only staff can be on an interview panel.")
    if db.session.get(PanelMember, (application.id, member.id)) is None:
        db.session.add(PanelMember(application_id=application.id, user_id=member.id))
        audit.record("application.panel_add", application, actor=actor, member_id=member.id)


@transactional
def set_qualifications(actor: User | None, member: User, kind_keys) -> None:
    """The interview kinds a staff member is qualified to run (replacing the earlier list)."""
    if not member.is_staff:
        raise DomainError("Only staff can be qualified to interview.")
    wanted = set(kind_keys)
    ensure_interview_kinds()
    known = set(db.session.scalars(select(InterviewKind.key).where(InterviewKind.key.in_(wanted))))
    if wanted - known:
        raise DomainError(f"Unknown interview kinds: {', '.join(sorted(wanted - known))}.")
    current = {
        q.kind_key: q
        for q in db.session.scalars(select(StaffQualification).where(StaffQualification.user_id == member.id))
    }
    for key in set(current) - wanted:
        db.session.delete(current[key])
    for key in wanted - set(current):
        db.session.add(StaffQualification(user_id=member.id, kind_key=key))
    audit.record("staff.qualifications", member, actor=actor, kinds=sorted(wanted))


# One audit entry per person, application and kind of view in this window: enough to answer "who
# looked at this candidate, and when", and cheap when a page is reloaded or opened by many at once.
VIEW_AUDIT_WINDOW = timedelta(hours=1)


def record_view(actor: User, application: Application, what: str) -> None:
    """Audit a staff member opening an application or downloading its CV (sensitive data).

    Only a view that writes an entry opens a unit of work: a reload within the window reads, and the
    request's objects stay loaded (a commit would expire them all)."""
    action = f"application.{what}"
    recent = db.session.scalar(
        select(AuditEntry.id)
        .where(
            AuditEntry.object_type == Application.__tablename__,
            AuditEntry.object_id == application.id,
            AuditEntry.actor_id == actor.id,
            AuditEntry.action == action,
            AuditEntry.at > utcnow() - VIEW_AUDIT_WINDOW,
        )
        .limit(1)
    )
    if recent is None:
        _audit_view(actor, application, action)


@transactional
def _audit_view(actor: User, application: Application, action: str) -> None:
    audit.record(action, application, actor=actor)
