"""Read models for hiring pages: the stage tracker and the pipeline list."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select

from portal.accounts.models import User
from portal.extensions import db
from portal.hiring.models import Application, ApplicationStatus, Position, Stage, StageEvent
from portal.security import policy
from portal.timeutil import utcnow

DONE, CURRENT, UPCOMING, STOPPED, NOT_REACHED = "done", "current", "upcoming", "stopped", "not-reached"
STATE_LABELS = {
    DONE: "Done",
    CURRENT: "Current step",
    UPCOMING: "Upcoming",
    STOPPED: "Ended here",
    NOT_REACHED: "Not reached",
}


@dataclass(frozen=True)
class TrackerStep:
    stage: Stage
    state: str
    note: str = ""

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def tracker(application: Application) -> list[TrackerStep]:
    """Each stage of the process with its state for this application, in order."""
    current = application.stage
    status = ApplicationStatus(application.status)
    steps = []
    for stage in application.position.process.stages:
        if stage.order < current.order:
            steps.append(TrackerStep(stage, DONE))
        elif stage.id == current.id:
            if status is ApplicationStatus.ACTIVE:
                steps.append(TrackerStep(stage, CURRENT))
            elif status is ApplicationStatus.HIRED:
                steps.append(TrackerStep(stage, CURRENT, "Offer"))
            else:
                steps.append(TrackerStep(stage, STOPPED, status.label))
        elif stage.is_outcome and status in (ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN):
            steps.append(TrackerStep(stage, CURRENT, status.label))
        else:
            steps.append(TrackerStep(stage, NOT_REACHED if status is not ApplicationStatus.ACTIVE else UPCOMING))
    return steps


def candidate_applications(user: User) -> list[Application]:
    return list(db.session.scalars(
        Application.for_candidate(user).order_by(Application.created_at.desc())
    ).unique())


def timeline(application: Application) -> list[StageEvent]:
    return list(db.session.scalars(
        select(StageEvent).where(StageEvent.application_id == application.id).order_by(StageEvent.id)
    ).unique())


def rejection(application: Application, events: list[StageEvent]) -> StageEvent | None:
    """The event that carries the feedback of a rejection, for the top of the candidate's page."""
    if application.status != ApplicationStatus.REJECTED.value:
        return None
    return next((e for e in reversed(events) if e.action == "reject"), None)


def positions_for_staff(user: User):
    """Positions a staff member manages: all for admins, those they hold a role on for the others."""
    return select(Position).where(policy.manages_position.where(user)).order_by(Position.status.desc(), Position.title)


def applications_for_staff(user: User):
    """Applications a staff member may open: of positions they run, or whose interview panel they are on."""
    return select(Application).where(policy.sees_application.where(user))


def active_count(position: Position) -> int:
    return db.session.scalar(select(func.count()).select_from(Application).where(
        Application.position_id == position.id, Application.status == ApplicationStatus.ACTIVE.value))


PAGE_SIZE = 25


@dataclass
class PipelinePage:
    rows: list[Application]
    total: int
    page: int
    pages: int
    counts_by_stage: dict[int, int]


def pipeline(position: Position, *, stage_id: int | None, status: str | None, q: str, overdue: bool,
             page: int, now=None) -> PipelinePage:
    now = now or utcnow()
    query = (
        select(Application)
        .join(Application.candidate)
        .where(Application.position_id == position.id)
    )
    if status:
        query = query.where(Application.status == status)
    if stage_id:
        query = query.where(Application.stage_id == stage_id)
    if q:
        # contains(autoescape) so that % and _ typed in the search box match themselves.
        needle = q.strip().lower()
        query = query.where(or_(func.lower(User.name).contains(needle, autoescape=True),
                                func.lower(User.email).contains(needle, autoescape=True)))
    rows_query = query.order_by(Application.stage_entered_at.asc(), Application.id)
    if overdue:
        # The SLA counts working days, which SQL does not know. N working days span at least N calendar
        # days, so SQL narrows the rows to those that can be late and Python decides exactly.
        could_be_late = rows_query.where(
            Application.status == ApplicationStatus.ACTIVE.value,
            Application.stage_entered_at < now - timedelta(days=position.sla_days),
        )
        matching = [a for a in db.session.scalars(could_be_late).unique() if a.sla_overdue(now)]
        total = len(matching)
    else:
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)  # past the last page: show the last one
    if overdue:
        page_rows = matching[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    else:
        page_rows = list(db.session.scalars(rows_query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).unique())
    counts = dict(db.session.execute(
        select(Application.stage_id, func.count()).where(
            Application.position_id == position.id, Application.status == ApplicationStatus.ACTIVE.value
        ).group_by(Application.stage_id)
    ).all())
    return PipelinePage(rows=page_rows, total=total, page=page, pages=pages, counts_by_stage=counts)

