"""Read models for hiring pages: the stage tracker and the pipeline list."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, bindparam, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import joinedload, lazyload

from portal.accounts.models import User
from portal.extensions import db
from portal.hiring.models import (
    Application,
    ApplicationStatus,
    Position,
    ProcessTemplate,
    Stage,
    StageEvent,
    StageProgress,
    WaitingOn,
    interviews_end_of_current_stage,
    response_due,
)
from portal.security import policy
from portal.timeutil import add_working_days, utcnow

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


def timeline(application: Application) -> list[StageEvent]:
    return list(
        db.session.scalars(
            select(StageEvent)
            .where(StageEvent.application_id == application.id)
            .order_by(StageEvent.id)
            # The stages are the application's process's, in the session already.
            .options(lazyload(StageEvent.from_stage), lazyload(StageEvent.to_stage))
        ).unique()
    )


def positions_for_staff(user: User):
    """Positions a staff member manages: all for admins, those they hold a role on for the others."""
    return select(Position).where(policy.manages_position.where(user)).order_by(Position.status.desc(), Position.title)


def position_rows_for_staff(user: User):
    """The same positions as rows of the columns a list of them shows, and that `runs_position` asks."""
    return positions_for_staff(user).with_only_columns(
        Position.id, Position.title, Position.team, Position.status, Position.recruiter_id, Position.hiring_manager_id
    )


def applications_for_staff(user: User):
    """Applications a staff member may open: of positions they run, or whose interview panel they are on."""
    return select(Application).where(policy.sees_application.where(user))


# A position and its process's stages in one query (pages that show a position show its stages).
WITH_STAGES = joinedload(Position.process).joinedload(ProcessTemplate.stages)
# One application with its position's stages in the same query; its own stage is then found among
# them without SQL. Queries using it need .unique().
APPLICATION_WITH_STAGES = (
    joinedload(Application.position).joinedload(Position.process).joinedload(ProcessTemplate.stages),
    lazyload(Application.stage),
    joinedload(Application.progress),
)


def position_with_stages(position_id: int) -> Position | None:
    return db.session.get(Position, position_id, options=[WITH_STAGES])


def active_count(position: Position) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Application)
        .where(Application.position_id == position.id, Application.status == ApplicationStatus.ACTIVE.value)
    )


PAGE_SIZE = 25
# Counting stops here: a stage, a search or a filter over a very large position must not count every
# row it matches to print one number ("1,000+" says what a recruiter needs to know).
COUNT_LIMIT = 1000


@dataclass(frozen=True)
class PipelineRow:
    """One application as a line of the pipeline: plain values read in one query."""

    id: int
    candidate_name: str
    candidate_email: str
    stage_name: str
    status_label: str
    days_in_stage: int
    due: datetime | None
    late: bool
    round_ready: bool = False  # every interview of the current stage was held: ready for review


@dataclass
class PipelinePage:
    rows: list[PipelineRow]
    total: int  # exact when total_exact, else a lower bound
    page: int
    pages: int  # the last page when total_exact, else the last one known to exist
    counts_by_stage: dict[int, int]  # applications in progress per stage, up to COUNT_LIMIT + 1
    total_exact: bool = True
    has_next: bool = False
    now: datetime | None = None  # the moment the overdue flags are judged at

    def stage_count(self, stage_id: int) -> str:
        count = self.counts_by_stage.get(stage_id, 0)
        return f"{COUNT_LIMIT:,}+" if count > COUNT_LIMIT else f"{count:,}"


def pipeline(
    position: Position, *, stage_id: int | None, status: str | None, q: str, overdue: bool, page: int, now=None
) -> PipelinePage:
    """One page of a position's applications, longest waiting first, and the counts per stage.

    Each query reads an index of `Application.__table_args__` and stops early, so a page costs about
    the same at 100 or 100,000 applications: the rows come from (position_id, stage_entered_at, id)
    in order, the counts from (position_id, status, stage_id, ...) and stop at COUNT_LIMIT.
    """
    now = now or utcnow()
    active = ApplicationStatus.ACTIVE.value
    counts = _stage_counts(position)

    query = select(Application).where(Application.position_id == position.id)
    if status:
        query = query.where(Application.status == status)
    if stage_id:
        query = query.where(Application.stage_id == stage_id)
    if q:
        # contains(autoescape) so that % and _ typed in the search box match themselves.
        needle = q.strip().lower()
        query = query.join(Application.candidate).where(
            or_(
                func.lower(User.name).contains(needle, autoescape=True),
                func.lower(User.email).contains(needle, autoescape=True),
            )
        )
    if overdue:
        query = query.where(*_overdue_conditions(position, now))

    if status == active and not (q or overdue):
        # The per-stage counts hold the answer already.
        found = [counts.get(stage_id, 0)] if stage_id else list(counts.values())
        total, exact = sum(min(n, COUNT_LIMIT) for n in found), all(n <= COUNT_LIMIT for n in found)
    else:
        limited = query.with_only_columns(Application.id).limit(COUNT_LIMIT + 1).subquery()
        total = db.session.scalar(select(func.count()).select_from(limited))
        total, exact = min(total, COUNT_LIMIT), total <= COUNT_LIMIT
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages) if exact else max(page, 1)  # past the last page: show the last one

    # Ids first, from the index, then only those rows with their candidate and progress: a later page
    # skips index entries, not joined rows.
    order = (Application.stage_entered_at.asc(), Application.id.asc())
    page_ids = (
        query.with_only_columns(Application.id).order_by(*order).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    )
    rows = _pipeline_rows(position, page_ids.scalar_subquery(), order, now)
    has_next = len(rows) > PAGE_SIZE
    return PipelinePage(
        rows=rows[:PAGE_SIZE],
        total=total,
        page=page,
        pages=max(pages, page + has_next),
        counts_by_stage=counts,
        total_exact=exact,
        has_next=has_next,
        now=now,
    )


def _pipeline_rows(position: Position, ids, order, now: datetime) -> list[PipelineRow]:
    stages = {stage.id: stage for stage in position.process.stages}
    from portal.scheduling.models import Interview, InterviewStatus

    def interviews_of_current_stage(*conditions):
        return (
            select(func.count())
            .where(
                Interview.application_id == Application.id,
                Interview.stage_id == Application.stage_id,
                *conditions,
            )
            .scalar_subquery()
        )

    found = db.session.execute(
        select(
            Application.id,
            Application.stage_id,
            Application.status,
            Application.stage_entered_at,
            User.name,
            User.email,
            StageProgress.waiting_on,
            StageProgress.paused_seconds,
            # A round is ready for review when every interview of the current stage was held.
            interviews_of_current_stage(Interview.status != InterviewStatus.CANCELLED.value),
            interviews_of_current_stage(Interview.status == InterviewStatus.COMPLETED.value),
            interviews_end_of_current_stage(),
        )
        .join(User, User.id == Application.candidate_id)
        .outerjoin(
            StageProgress,
            and_(StageProgress.application_id == Application.id, StageProgress.stage_id == Application.stage_id),
        )
        .where(Application.id.in_(ids))
        .order_by(*order)
    )
    rows = []
    for app_id, stage_id, status, entered, name, email, waiting_on, paused, holding, held, interviews_end in found:
        stage = stages[stage_id]
        due = response_due(
            entered,
            position.sla_days,
            timed=status == ApplicationStatus.ACTIVE.value and stage.has_response_time,
            waiting_on=waiting_on,
            paused_seconds=paused or 0,
            interviews_end=interviews_end,
        )
        rows.append(
            PipelineRow(
                id=app_id,
                candidate_name=name,
                candidate_email=email,
                stage_name=stage.name,
                status_label=ApplicationStatus(status).label,
                days_in_stage=max(0, (now - entered).days),
                due=due,
                late=due is not None and now > due,
                round_ready=bool(holding) and held == holding,
            )
        )
    return rows


def _stage_counts(position: Position) -> dict[int, int]:
    """Applications in progress per stage (one statement), each count stopping at COUNT_LIMIT + 1."""
    stage_ids = tuple(stage.id for stage in position.process.stages if not stage.is_outcome)
    rows = db.session.execute(_stage_counts_statement(stage_ids, COUNT_LIMIT), {"position_id": position.id})
    return {stage_id: n for stage_id, n in rows if n}


@lru_cache(maxsize=256)
def _stage_counts_statement(stage_ids: tuple[int, ...], limit: int):
    # Built once per process (a statement of this size takes longer to build than to run).
    return union_all(
        *[
            select(literal(stage_id).label("stage_id"), func.count().label("n")).select_from(
                select(Application.id)
                .where(
                    Application.position_id == bindparam("position_id"),
                    Application.status == ApplicationStatus.ACTIVE.value,
                    Application.stage_id == stage_id,
                )
                .limit(limit + 1)
                .subquery()
            )
            for stage_id in stage_ids
        ]
    )


def _overdue_conditions(position: Position, now: datetime) -> list:
    """SQL for `Application.sla_overdue(now)` over a position's applications, to the microsecond."""
    timed = [s.id for s in position.process.stages if not s.is_outcome and s.sla_days]
    entered = Application.stage_entered_at
    late = [
        entered < end if start is None else and_(entered >= start, entered < end)
        for start, end in late_entry_ranges(now, position.sla_days)
    ]
    # Progress within the stage moves the clock: it stands while the move is the candidate's, and
    # the time it stood is added afterwards; the stage's interviews move the promise after them.
    # Those few applications are judged one by one, with their interviews' end read in the same query.
    moved_clock = or_(
        exists().where(
            StageProgress.application_id == Application.id,
            StageProgress.stage_id == Application.stage_id,
            or_(StageProgress.waiting_on != WaitingOn.STAFF.value, StageProgress.paused_seconds > 0),
        ),
        interviews_end_of_current_stage().is_not(None),
    )
    late_after_pause = [
        a.id
        for a, interviews_end in db.session.execute(
            select(Application, interviews_end_of_current_stage()).where(
                Application.position_id == position.id,
                Application.status == ApplicationStatus.ACTIVE.value,
                moved_clock,
            )
        ).unique()
        if (due := a.sla_due_at(interviews_end)) is not None and now > due
    ]
    return [
        Application.status == ApplicationStatus.ACTIVE.value,
        Application.stage_id.in_(timed),
        or_(and_(or_(*late), ~moved_clock), Application.id.in_(late_after_pause)),
    ]


def late_entry_ranges(now: datetime, working_days: int) -> list[tuple[datetime | None, datetime]]:
    """The times of entering a stage whose response, due `working_days` working days later, is late.

    The response is due a number of calendar days after entry that depends only on the weekday of
    entry (add_working_days), so each calendar day gives one range; every day before the longest
    wait is late all day. Ranges are [start, end), the first one open to the past.
    """

    def wait(weekday: int) -> timedelta:
        monday = datetime(2024, 1, 1, tzinfo=timezone.utc)
        start = monday + timedelta(days=weekday)
        return add_working_days(start, working_days) - start

    waits = [wait(weekday) for weekday in range(7)]
    day = datetime.combine((now - max(waits)).date(), datetime.min.time(), timezone.utc) - timedelta(days=1)
    ranges: list[list] = [[None, day]]
    while day <= now:
        end = min(day + timedelta(days=1), now - waits[day.weekday()])
        if end > day:
            if ranges[-1][1] == day:
                ranges[-1][1] = end
            else:
                ranges.append([day, end])
        day += timedelta(days=1)
    return [(start, end) for start, end in ranges]
