"""The technical screen: the candidate's choice of format (and staff overriding it), and the take-home
clock. Each public function that writes is one unit of work on the locked application row, so a
choice, a booking and a start that race are applied one after the other, each seeing the last.

The choice is free until it is locked: a live interview of the stage holds its time, or the
take-home clock has started. Time is the server's alone: `now` comes from utcnow() here, never from
the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from portal import audit
from portal.accounts.models import User
from portal.forms import typed_text
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.hiring import progress as stage_progress
from portal.hiring import services as hiring
from portal.hiring import timeline
from portal.hiring.models import Application, StageKind, TechnicalFormat
from portal.security import policy
from portal.takehome.models import Attempt, AttemptStatus, Assignment, FormatOffer, TechnicalScreenOffer
from portal.timeutil import utcnow
from portal.unit_of_work import transactional

CHOOSE_NEXT = "Choose live or take-home for your technical screen."
BOOK_NEXT = "Choose a time for your live technical screen."
START_NEXT = "Read the take-home overview and start it when you are ready."
WORK_NEXT = "Hand in your take-home before its deadline."


class ChoiceLocked(DomainError):
    """The format can no longer change by the candidate's hand."""


@dataclass(frozen=True)
class Offer:
    """What a position's technical screen offers: the formats, and the take-home's assignment."""

    formats: tuple[str, ...]
    assignment: Assignment | None


def offer_for(position_id: int) -> Offer:
    """The formats a candidate may choose. The take-home needs an assignment; without one (or with
    nothing configured) the live screen is what remains, so no candidate ever meets an empty choice."""
    found = db.session.get(TechnicalScreenOffer, position_id)
    setting = found.formats if found else FormatOffer.BOTH.value
    assignment = found.assignment if found else None
    formats = []
    if setting in (FormatOffer.BOTH.value, FormatOffer.LIVE.value) or assignment is None:
        formats.append(TechnicalFormat.LIVE.value)
    if setting in (FormatOffer.BOTH.value, FormatOffer.TAKE_HOME.value) and assignment is not None:
        formats.append(TechnicalFormat.TAKE_HOME.value)
    return Offer(tuple(formats), assignment)


def at_technical_screen(application: Application) -> bool:
    return application.is_active and application.stage.kind == StageKind.TECHNICAL.value


def open_attempt(application: Application) -> Attempt | None:
    """The application's take-home at its current stage that is not cancelled, if any."""
    return db.session.scalar(
        select(Attempt).where(
            Attempt.application_id == application.id,
            Attempt.stage_id == application.stage_id,
            Attempt.status != AttemptStatus.CANCELLED.value,
        )
    )


def chosen_format(application: Application) -> str | None:
    progress = application.progress
    return progress.format if progress else None


def lock_reason(application: Application, attempt: Attempt | None = None) -> str | None:
    """Why the candidate may no longer change the format, or None while they may."""
    from portal.scheduling import services as scheduling

    attempt = attempt if attempt is not None else open_attempt(application)
    if attempt is not None and attempt.started_at is not None:
        return "Your take-home clock has started, so the format is fixed."
    if chosen_format(application) == TechnicalFormat.LIVE.value and scheduling.current_booking(application):
        return "Your live screen is booked, so the format is fixed. To change it, cancel the booking first."
    return None


def ask_candidate_to_choose(transition) -> None:
    """Reaching the technical screen asks the candidate to choose its format: the move is theirs, and
    the answer clock stands still until they have chosen and done their part."""
    application = transition.application
    if at_technical_screen(application) and chosen_format(application) is None:
        stage_progress.hand_to_candidate(application, CHOOSE_NEXT, step="choosing")


def _locked_application(application_id: int) -> Application:
    application = hiring.lock_application(application_id)
    if application is None:
        raise LookupError(application_id)
    return application


def _apply_format(
    application: Application, technical_format: str, now: datetime, window_from: datetime
) -> Attempt | None:
    """Set the format and the take-home to match it, and hand the next move to the candidate.
    A new take-home may be started until `window_from` plus the assignment's days to start."""
    attempt = open_attempt(application)
    stage_progress.choose_format(application, technical_format)
    db.session.expire(application, ["progress"])
    if technical_format == TechnicalFormat.LIVE.value:
        if attempt is not None:
            attempt.status = AttemptStatus.CANCELLED.value
            attempt.updated_at = now
            db.session.flush()
        stage_progress.hand_to_candidate(application, BOOK_NEXT, step="booking")
        return None
    if attempt is None:
        assignment = offer_for(application.position_id).assignment
        if assignment is None:
            raise DomainError("This position has no take-home assignment.")
        attempt = Attempt(
            application_id=application.id,
            stage_id=application.stage_id,
            assignment_id=assignment.id,
            status=AttemptStatus.NOT_STARTED.value,
            time_limit_minutes=assignment.time_limit_hours * 60,
            start_by=window_from + timedelta(days=assignment.start_within_days),
            created_at=now,
            updated_at=now,
        )
        db.session.add(attempt)
        db.session.flush()
    stage_progress.hand_to_candidate(application, START_NEXT, step="take_home_ready")
    return attempt


@transactional
def choose(application_id: int, technical_format: str, actor: User) -> Attempt | None:
    """The candidate chooses (or changes) the format of their technical screen."""
    now = utcnow()
    application = _locked_application(application_id)
    if not policy.owns_application(actor, application):
        raise NotAllowed("Only the candidate chooses the format.")
    if not at_technical_screen(application):
        raise DomainError("Your application is not at the technical screen.")
    offer = offer_for(application.position_id)
    if technical_format not in offer.formats:
        raise DomainError("Choose one of the formats shown.")
    before = chosen_format(application)
    if before == technical_format:
        return open_attempt(application)
    reason = lock_reason(application)
    if reason:
        raise ChoiceLocked(reason)
    # Counted from reaching the stage, so switching formats back and forth wins no days.
    attempt = _apply_format(application, technical_format, now, application.stage_entered_at)
    audit.record("technical_format.choose", application, actor=actor, before=before, after=technical_format)
    timeline.record(application, timeline.FORMAT_CHOSEN, actor, detail=technical_format)
    return attempt


@transactional
def override(application_id: int, technical_format: str, actor: User, reason: str) -> Attempt | None:
    """Staff who run the application set the format, with a reason, also once it is locked.

    A booked live interview is cancelled on its own page first (that tells the interviewers and
    sends the cancelled invite). A take-home clock that runs is stopped: the attempt stays, cancelled,
    as the history of what happened."""
    now = utcnow()
    application = _locked_application(application_id)
    if not policy.runs_application(actor, application):
        raise NotAllowed("Only the position's recruiter or hiring manager can change the format.")
    if not at_technical_screen(application):
        raise DomainError("The application is not at the technical screen.")
    reason = typed_text(
        reason,
        max_length=500,
        multi_line=True,
        required="Write why you change the format (it is kept in the audit log).",
    )
    if technical_format not in {f.value for f in TechnicalFormat}:
        raise DomainError("Choose the live screen or the take-home.")
    if technical_format == TechnicalFormat.TAKE_HOME.value and offer_for(application.position_id).assignment is None:
        raise DomainError("This position has no take-home assignment: choose one on its technical screen page.")
    before = chosen_format(application)
    if before == technical_format:
        raise DomainError("The application already has this format.")
    from portal.scheduling import services as scheduling

    if scheduling.current_booking(application):
        raise DomainError("A live screen is booked: cancel it first (the interviewers and candidate are told).")
    # Staff setting the take-home give the candidate the whole window from now.
    attempt = _apply_format(application, technical_format, now, now)
    audit.record(
        "technical_format.override", application, actor=actor, before=before, after=technical_format, reason=reason
    )
    # The reason is for the audit log: the candidate reads that the team set the format, not why.
    timeline.record(application, timeline.FORMAT_SET, actor, detail=technical_format)
    return attempt


@transactional
def start(application_id: int, actor: User) -> Attempt:
    """The candidate starts the take-home clock: the deadline is set here, by the server's clock."""
    now = utcnow()
    application = _locked_application(application_id)
    if not policy.owns_application(actor, application):
        raise NotAllowed("Only the candidate starts their take-home.")
    if not at_technical_screen(application) or chosen_format(application) != TechnicalFormat.TAKE_HOME.value:
        raise DomainError("There is no take-home to start at this step.")
    attempt = open_attempt(application)
    if attempt is None:
        raise DomainError("There is no take-home to start at this step.")
    if attempt.started_at is not None:
        raise DomainError("Your take-home has already started.")
    if now > attempt.start_by:
        raise DomainError("The time to start this take-home has passed. Please write to your recruiter.")
    attempt.started_at = now
    attempt.deadline = attempt.deadline_for(now)
    attempt.status = AttemptStatus.IN_PROGRESS.value
    attempt.updated_at = now
    db.session.flush()
    # The move is the candidate's while they work: the "we answer by" clock stands still.
    stage_progress.hand_to_candidate(application, WORK_NEXT, step="take_home_working")
    audit.record("takehome.start", attempt, actor=actor, deadline=attempt.deadline.isoformat())
    timeline.record(application, timeline.TAKEHOME_STARTED, actor, about_at=attempt.deadline)
    return attempt
