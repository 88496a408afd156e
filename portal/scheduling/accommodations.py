"""Accommodations: a candidate asks (extra time, breaks, another format, an interpreter) before booking;
the recruiter or hiring manager answers; granted extra time lengthens every interview booked after."""

from __future__ import annotations

from sqlalchemy import func, select

from portal import audit
from portal.accounts.models import User
from portal.forms import typed_text
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.hiring.models import Application
from portal.notifications.services import queue_mail
from portal.scheduling.models import AccommodationKind, AccommodationRequest, AccommodationStatus
from portal.timeutil import utcnow
from portal.unit_of_work import transactional

KINDS = {k.value for k in AccommodationKind}


def requests_of(application_id: int) -> list[AccommodationRequest]:
    return list(
        db.session.scalars(
            select(AccommodationRequest)
            .where(AccommodationRequest.application_id == application_id)
            .order_by(AccommodationRequest.id)
        )
    )


def extra_minutes(application_id: int) -> int:
    """Minutes added to each interview: the largest extra time granted for the application."""
    return (
        db.session.scalar(
            select(func.max(AccommodationRequest.extra_minutes)).where(
                AccommodationRequest.application_id == application_id,
                AccommodationRequest.status == AccommodationStatus.GRANTED.value,
            )
        )
        or 0
    )


@transactional
def ask(application: Application, candidate: User, kinds: list[str], details: str) -> AccommodationRequest:
    if candidate.id != application.candidate_id:
        raise NotAllowed("Only the candidate can ask for an accommodation.")
    if not application.is_active:
        raise DomainError("This application has ended.")
    kinds = sorted(set(kinds))
    details = typed_text(details, max_length=2000, multi_line=True)
    if set(kinds) - KINDS:
        raise DomainError("Choose from the accommodations listed.")
    if not kinds and not details:
        raise DomainError("Choose what would help, or describe it.")
    pending = [r for r in requests_of(application.id) if r.status == AccommodationStatus.PENDING.value]
    if len(pending) >= 3:
        raise DomainError("Your recruiter has not answered your earlier requests yet.")
    request = AccommodationRequest(application_id=application.id, kinds=kinds, details=details)
    db.session.add(request)
    db.session.flush()
    audit.record("accommodation.requested", application, actor=candidate, request=request.id, kinds=kinds)
    recruiter = application.position.recruiter or application.position.hiring_manager
    if recruiter is not None:
        queue_mail(
            recruiter,
            "accommodation_requested",
            application_id=application.id,
            candidate_name=application.candidate.name,
            position_title=application.position.title,
            request=request,
        )
    return request


@transactional
def answer(request_id: int, actor: User, *, grant: bool, extra_minutes: int, message: str) -> AccommodationRequest:
    from portal.security import policy

    request = db.session.get(AccommodationRequest, request_id, with_for_update=True)
    if request is None:
        raise LookupError(request_id)
    application = db.session.get(Application, request.application_id)
    if not policy.runs_application(actor, application):
        raise NotAllowed("Only the position's recruiter or hiring manager can answer.")
    if request.status != AccommodationStatus.PENDING.value:
        raise DomainError("This request has an answer already.")
    message = typed_text(
        message, max_length=2000, multi_line=True, required="Write the answer the candidate will read."
    )
    if not grant:
        extra_minutes = 0
    if not 0 <= extra_minutes <= 120:
        raise DomainError("Extra time is 0 to 120 minutes per interview.")
    request.status = (AccommodationStatus.GRANTED if grant else AccommodationStatus.DECLINED).value
    request.extra_minutes = extra_minutes
    request.answer = message
    request.answered_by_id = actor.id
    request.answered_at = utcnow()
    audit.record(
        "accommodation.answered",
        application,
        actor=actor,
        request=request.id,
        status=request.status,
        extra=extra_minutes,
    )
    queue_mail(
        application.candidate,
        "accommodation_answered",
        application_id=application.id,
        candidate_name=application.candidate.name,
        position_title=application.position.title,
        request=request,
        # Granted time lengthens what is booked next; a booking made before keeps its length until moved.
        booked_already=bool(extra_minutes) and booked_ahead(application),
    )
    return request


def booked_ahead(application: Application) -> bool:
    """Whether interviews are booked ahead for the application's current stage."""
    from portal.scheduling.services import current_booking

    now = utcnow()
    return any(i.starts_at > now for i in current_booking(application))
