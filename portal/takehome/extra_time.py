"""More time for a take-home: before the clock starts, an accessibility accommodation (extra time);
while it runs, an extension asked before the deadline. The candidate asks with a reason; who runs
the application grants it (with the minutes, which move the deadline) or declines it with a reason.
Both sides are told by mail, and both steps are audited. Each function is one unit of work."""

from __future__ import annotations

from sqlalchemy import select

from portal import audit
from portal.accounts.models import User
from portal.forms import typed_text
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.notifications.services import queue_mail
from portal.security import policy
from portal.takehome import screen
from portal.takehome.models import Attempt, TimeRequest, TimeRequestKind, TimeRequestStatus
from portal.timeutil import utcnow
from portal.unit_of_work import transactional

MAX_GRANT_MINUTES = 7 * 24 * 60


def requests_of(attempt_id: int) -> list[TimeRequest]:
    return list(
        db.session.scalars(select(TimeRequest).where(TimeRequest.attempt_id == attempt_id).order_by(TimeRequest.id))
    )


def _team(application) -> list[User]:
    position = application.position
    return [u for u in {position.recruiter, position.hiring_manager} if u is not None and u.active]


@transactional
def ask(application_id: int, actor: User, reason: str) -> TimeRequest:
    """The candidate asks for more time: an accommodation before the start, an extension after."""
    now = utcnow()
    application = screen._locked_application(application_id)
    if not policy.owns_application(actor, application):
        raise NotAllowed("Only the candidate asks for more time.")
    attempt = screen.open_attempt(application) if screen.at_technical_screen(application) else None
    if attempt is None:
        raise DomainError("There is no take-home to ask more time for.")
    reason = typed_text(
        reason, max_length=2000, multi_line=True, required="Tell us why you need more time: your recruiter reads it."
    )
    if attempt.started_at is not None and now > attempt.deadline:
        raise DomainError("An extension is asked before the deadline. Please write to your recruiter.")
    if any(r.status == TimeRequestStatus.PENDING.value for r in requests_of(attempt.id)):
        raise DomainError("Your earlier request has no answer yet.")
    kind = TimeRequestKind.ACCOMMODATION if attempt.started_at is None else TimeRequestKind.EXTENSION
    request = TimeRequest(attempt_id=attempt.id, kind=kind.value, reason=reason, requested_at=now)
    db.session.add(request)
    db.session.flush()
    audit.record("takehome.time_requested", attempt, actor=actor, request=request.id, kind=kind.value)
    for member in _team(application):
        queue_mail(
            member,
            "takehome_time_requested",
            application_id=application.id,
            candidate_name=application.candidate.name,
            position_title=application.position.title,
            request=request,
        )
    return request


@transactional
def answer(request_id: int, actor: User, *, grant: bool, minutes: int, message: str) -> TimeRequest:
    """Grant (with the minutes added to the deadline) or decline, with the answer the candidate reads."""
    request = db.session.get(TimeRequest, request_id, with_for_update=True)
    if request is None:
        raise LookupError(request_id)
    attempt = db.session.get(Attempt, request.attempt_id)
    application = screen._locked_application(attempt.application_id)
    if not policy.runs_application(actor, application):
        raise NotAllowed("Only the position's recruiter or hiring manager can answer.")
    if request.status != TimeRequestStatus.PENDING.value:
        raise DomainError("This request has an answer already.")
    message = typed_text(
        message, max_length=2000, multi_line=True, required="Write the answer the candidate will read."
    )
    if grant and not 15 <= minutes <= MAX_GRANT_MINUTES:
        raise DomainError("Grant from 15 minutes to 7 days (10,080 minutes).")
    now = utcnow()
    before = attempt.deadline
    if grant:
        if attempt.started_at is None:
            attempt.accommodation_minutes += minutes
        else:
            attempt.extension_minutes += minutes
            attempt.deadline = attempt.deadline_for(attempt.started_at)
        attempt.updated_at = now
    request.status = (TimeRequestStatus.GRANTED if grant else TimeRequestStatus.DECLINED).value
    request.granted_minutes = minutes if grant else 0
    request.answer = message[:2000]
    request.answered_by_id = actor.id
    request.answered_at = now
    db.session.flush()
    audit.record(
        "takehome.time_answered",
        attempt,
        actor=actor,
        request=request.id,
        status=request.status,
        minutes=request.granted_minutes,
        deadline_before=before.isoformat() if before else None,
        deadline_after=attempt.deadline.isoformat() if attempt.deadline else None,
    )
    queue_mail(
        application.candidate,
        "takehome_time_answered",
        application_id=application.id,
        position_title=application.position.title,
        request=request,
        deadline=attempt.deadline,
    )
    return request
