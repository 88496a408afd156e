"""The offer after a hire: the recruiter or hiring manager makes it with constructive feedback, and the
candidate accepts or declines it in the portal, once. Each step is one unit of work with its audit
entry, its timeline event and its mail."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update

from portal import audit
from portal.accounts.models import User
from portal.errors import DomainError, InvalidInput, NotAllowed
from portal.extensions import db
from portal.feedback import publishing
from portal.feedback.outcome_models import Offer, OfferStatus
from portal.forms import typed_text
from portal.hiring import timeline
from portal.hiring.models import Application, ApplicationStatus
from portal.notifications.services import queue_mail
from portal.security import policy
from portal.timeutil import add_months, utcnow
from portal.unit_of_work import transactional


# An offer names when the hire starts; a date years away is a typo (9999 for 2025), and the candidate
# would be mailed it.
MAX_START_MONTHS = 24


class OfferAnswered(DomainError):
    """The candidate has answered the offer already: the answer stands."""


class OfferInputRefused(InvalidInput):
    """A field of the offer that cannot be kept as typed; `field` names it, for the message's place."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def _checked(field: str, check):
    try:
        return check()
    except InvalidInput as exc:
        raise OfferInputRefused(exc.message, field) from None


def offer_of(application_id: int) -> Offer | None:
    return db.session.scalar(select(Offer).where(Offer.application_id == application_id))


def offer_for(application: Application) -> Offer | None:
    """The application's offer; only a hire has one, so other pages ask the database nothing."""
    return offer_of(application.id) if application.status == ApplicationStatus.HIRED.value else None


_LOOK_IT_UP = object()


def why_no_offer(application: Application, offer=_LOOK_IT_UP) -> str | None:
    """Why an offer cannot be made for this application now, if it cannot (`offer`: the application's
    offer or None, when the caller has read it already)."""
    if application.status != ApplicationStatus.HIRED.value:
        return "An offer follows the team's decision to hire; this application has no hire recorded."
    if (offer_of(application.id) if offer is _LOOK_IT_UP else offer) is not None:
        return "The offer is made already."
    return None


@transactional
def make(application_id: int, actor: User, *, role_title: str, start_date: date, note: str, feedback: str) -> Offer:
    """Publish the offer and the outcome's feedback; the candidate is told by mail."""
    from portal.hiring import candidate_read
    from portal.hiring.services import lock_application

    application = lock_application(application_id)
    if application is None:
        raise LookupError(application_id)
    if not policy.runs_application(actor, application):
        raise NotAllowed("Only the position's recruiter or hiring manager makes the offer.")
    refusal = why_no_offer(application)
    if refusal:
        raise DomainError(refusal)
    role_title = _checked(
        "role_title", lambda: typed_text(role_title, max_length=160, required="Name the role offered.")
    )
    note = _checked("note", lambda: typed_text(note, max_length=5000, multi_line=True))
    feedback = _checked("feedback", lambda: publishing.clean_body(feedback))
    today = utcnow().date()
    if start_date < today:
        raise OfferInputRefused("The start date is in the past.", "start_date")
    latest = add_months(today, MAX_START_MONTHS)
    if start_date > latest:
        raise OfferInputRefused(
            f"The start date is more than two years away: choose a date up to {latest:%d %B %Y}.", "start_date"
        )
    now = utcnow()
    offer = Offer(
        application_id=application.id,
        role_title=role_title,
        start_date=start_date,
        note=note,
        made_by_id=actor.id,
        made_at=now,
    )
    db.session.add(offer)
    publishing.publish_outcome(application, actor, feedback)
    timeline.record(application, "offer", actor, at=now)
    db.session.flush()
    audit.record("offer.made", application, actor=actor, role_title=role_title, start_date=start_date.isoformat())
    queue_mail(
        application.candidate,
        "offer_made",
        application=candidate_read.for_mail(application),
        candidate_name=application.candidate.name,
        offer=offer,
        feedback=feedback,
    )
    return offer


@transactional
def answer(application_id: int, candidate: User, *, accept: bool) -> Offer:
    """The candidate accepts or declines; only the first answer counts, however many clicks race."""
    application = db.session.get(Application, application_id)
    if application is None or not policy.owns_application(candidate, application):
        raise LookupError(application_id)
    offer = offer_of(application.id)
    if offer is None:
        raise LookupError(application_id)
    status = (OfferStatus.ACCEPTED if accept else OfferStatus.DECLINED).value
    now = utcnow()
    # A conditional update: of two answers at once, the database lets exactly one change the row.
    changed = db.session.execute(
        update(Offer)
        .where(Offer.id == offer.id, Offer.status == OfferStatus.OFFERED.value)
        .values(status=status, answered_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    if changed != 1:
        raise OfferAnswered("You have answered this offer already.")
    db.session.refresh(offer)
    timeline.record(application, f"offer_{status}", candidate, at=now)
    db.session.flush()
    audit.record(f"offer.{status}", application, actor=candidate)
    position = application.position
    for person in {p.id: p for p in (position.recruiter, position.hiring_manager) if p is not None}.values():
        queue_mail(
            person,
            "offer_answered",
            application_id=application.id,
            candidate_name=application.candidate.name,
            position_title=position.title,
            accepted=accept,
        )
    return offer
