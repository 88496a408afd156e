"""Progress within a stage: whose move it is, the step reached, the format chosen.

Capabilities (booking, take-home, scorecards) record their steps here, inside their own service's
transaction; the response clock ("we answer by") stands still while the move is the candidate's.
These helpers flush only: the calling service owns the transaction.
"""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.hiring.models import Application, StageProgress, TechnicalFormat, WaitingOn
from portal.timeutil import utcnow


def progress_of(application: Application) -> StageProgress:
    """The application's progress row for its current stage, created on first use."""
    found = db.session.scalar(
        select(StageProgress).where(
            StageProgress.application_id == application.id, StageProgress.stage_id == application.stage_id
        )
    )
    if found is None:
        found = StageProgress(
            application_id=application.id,
            stage_id=application.stage_id,
            waiting_on=WaitingOn.STAFF.value,
            waiting_since=utcnow(),
            data={},
        )
        db.session.add(found)
    return found


def _hand_over(application: Application, to: WaitingOn, *, next_action: str, step: str | None) -> StageProgress:
    progress = progress_of(application)
    now = utcnow()
    if progress.waiting_on == WaitingOn.CANDIDATE.value and to is WaitingOn.STAFF:
        # The clock ran again: the promise moves by the time it stood still.
        progress.paused_seconds += max(0, int((now - progress.waiting_since).total_seconds()))
    if progress.waiting_on != to.value:
        progress.waiting_since = now
    progress.waiting_on = to.value
    progress.next_action = next_action
    if step:
        progress.step = step
    progress.updated_at = now
    db.session.flush()
    db.session.expire(application, ["progress"])
    return progress


def hand_to_candidate(application: Application, next_action: str, *, step: str | None = None) -> StageProgress:
    """The next move is the candidate's (e.g. a take-home in progress): the response clock pauses."""
    return _hand_over(application, WaitingOn.CANDIDATE, next_action=next_action, step=step)


def hand_to_staff(application: Application, *, next_action: str = "", step: str | None = None) -> StageProgress:
    """The next move is the team's again: the response clock runs, extended by the pause."""
    return _hand_over(application, WaitingOn.STAFF, next_action=next_action, step=step)


def choose_format(application: Application, technical_format: TechnicalFormat | str) -> StageProgress:
    progress = progress_of(application)
    progress.format = TechnicalFormat(technical_format).value
    progress.updated_at = utcnow()
    db.session.flush()
    return progress
