"""Candidate-facing feedback: the recruiter or hiring manager composes it per stage (from the
interviewers' suggestions), saves drafts, and publishes it once; publishing records a timeline event,
an audit entry and the candidate's mail in one unit of work.

A rejection's feedback (from the reject button or a "not selected" decision) becomes the published
feedback of the Outcome stage, so the candidate reads every piece of feedback the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from portal import audit
from portal.accounts.models import User
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.feedback.outcome_models import FeedbackStatus, StageFeedback
from portal.forms import typed_text
from portal.hiring import timeline
from portal.hiring.models import Application, Stage, StageKind
from portal.notifications.services import queue_mail
from portal.security import policy
from portal.timeutil import utcnow
from portal.unit_of_work import transactional

MAX_BODY = 10_000
# Stages whose feedback staff compose one by one; the Outcome's comes with the rejection or the offer.
COMPOSED_KINDS = (StageKind.SCREEN.value, StageKind.TECHNICAL.value, StageKind.LOOP.value)


class AlreadyPublished(DomainError):
    """Published feedback is final: the candidate may have read it already."""


@dataclass(frozen=True)
class Suggestion:
    """One interviewer's suggested candidate-facing note for a stage (from a submitted scorecard)."""

    interviewer: str
    kind: str
    strengths: str
    growth_areas: str


def composable_stages(application: Application) -> list[Stage]:
    """The stages of this application whose feedback staff may compose: those it reached."""
    current = application.stage.order
    return [s for s in application.position.process.stages if s.kind in COMPOSED_KINDS and s.order <= current]


def feedback_of(application_id: int) -> dict[int, StageFeedback]:
    """The application's feedback, draft or published, by stage id."""
    rows = db.session.scalars(select(StageFeedback).where(StageFeedback.application_id == application_id))
    return {f.stage_id: f for f in rows}


def suggestions(application: Application, stage: Stage, viewer: User) -> list[Suggestion] | None:
    """The suggested notes of the submitted scorecards of the stage's interviews, or None while the
    independence rule keeps the viewer from the scorecards."""
    from portal.feedback.models import Scorecard, ScorecardStatus
    from portal.hiring.models import InterviewKind
    from portal.scheduling.models import Interview

    if not policy.submitted_own_scorecard(viewer, application):
        return None
    rows = db.session.execute(
        select(User.name, InterviewKind.name, Scorecard.strengths, Scorecard.growth_areas)
        .join(Interview, Interview.id == Scorecard.interview_id)
        .join(User, User.id == Scorecard.interviewer_id)
        .join(InterviewKind, InterviewKind.key == Scorecard.kind_key)
        .where(
            Scorecard.application_id == application.id,
            Scorecard.status == ScorecardStatus.SUBMITTED.value,
            Interview.stage_id == stage.id,
        )
        .order_by(Interview.starts_at, Scorecard.id)
    ).all()
    return [Suggestion(*row) for row in rows]


def _check(application: Application, stage: Stage, actor: User) -> None:
    if not policy.runs_application(actor, application):
        raise NotAllowed("Only the position's recruiter or hiring manager writes the candidate's feedback.")
    if stage.id not in {s.id for s in composable_stages(application)}:
        raise DomainError(f"{stage.name} takes no feedback of its own for this application.")


def _locked(application_id: int, stage_id: int) -> tuple[Application, Stage, StageFeedback | None]:
    from portal.hiring.services import lock_application

    application = lock_application(application_id)
    stage = db.session.get(Stage, stage_id)
    if application is None or stage is None or stage.template_id != application.position.process_id:
        raise LookupError((application_id, stage_id))
    existing = db.session.scalar(
        select(StageFeedback)
        .where(StageFeedback.application_id == application_id, StageFeedback.stage_id == stage_id)
        .with_for_update()
    )
    return application, stage, existing


def clean_body(body: str | None) -> str:
    return typed_text(
        body, max_length=MAX_BODY, multi_line=True, required="Write the feedback the candidate will read."
    )


def _writable(application_id: int, stage_id: int, actor: User, body: str):
    """Lock the application, check who writes, and put `body` in the stage's feedback (new, or a draft
    still): (application, stage, feedback). Published feedback is final."""
    application, stage, existing = _locked(application_id, stage_id)
    _check(application, stage, actor)
    body = clean_body(body)
    if existing is not None and existing.is_published:
        raise AlreadyPublished("This feedback is published already; it cannot change.")
    if existing is None:
        existing = StageFeedback(application_id=application.id, stage_id=stage.id)
        db.session.add(existing)
    existing.body, existing.author_id, existing.updated_at = body, actor.id, utcnow()
    return application, stage, existing


@transactional
def save_draft(application_id: int, stage_id: int, actor: User, body: str) -> StageFeedback:
    """Keep a draft of a stage's feedback (nothing reaches the candidate)."""
    application, stage, existing = _writable(application_id, stage_id, actor, body)
    db.session.flush()
    audit.record("feedback.draft_saved", application, actor=actor, stage=stage.key)
    return existing


@transactional
def publish(application_id: int, stage_id: int, actor: User, body: str) -> StageFeedback:
    """Publish a stage's feedback: the candidate reads it on their application page and by mail."""
    from portal.hiring import candidate_read

    application, stage, existing = _writable(application_id, stage_id, actor, body)
    now = existing.updated_at
    existing.status, existing.published_at = FeedbackStatus.PUBLISHED.value, now
    timeline.record(application, "feedback", actor, stage_id=stage.id, at=now)
    audit.record("feedback.published", application, actor=actor, stage=stage.key)
    queue_mail(
        application.candidate,
        "feedback_published",
        application=candidate_read.for_mail(application),
        candidate_name=application.candidate.name,
        stage_name=stage.name,
        body=body,
    )
    return existing


def outcome_stage(application: Application) -> Stage:
    return next(s for s in application.position.process.stages if s.is_outcome)


def publish_outcome(application: Application, actor: User | None, body: str) -> StageFeedback:
    """The Outcome stage's feedback, published in the caller's unit of work (a rejection, an offer):
    the caller records its own timeline event, audit entry and mail, which carry the same words, so
    one step of the process stays one entry in each."""
    stage = outcome_stage(application)
    existing = db.session.scalar(
        select(StageFeedback)
        .where(StageFeedback.application_id == application.id, StageFeedback.stage_id == stage.id)
        .with_for_update()
    )
    if existing is not None and existing.is_published:
        raise AlreadyPublished("The outcome's feedback is published already.")
    if existing is None:
        existing = StageFeedback(application_id=application.id, stage_id=stage.id)
        db.session.add(existing)
    now = utcnow()
    existing.body, existing.author_id, existing.updated_at = body, getattr(actor, "id", None), now
    existing.status, existing.published_at = FeedbackStatus.PUBLISHED.value, now
    db.session.flush()
    return existing


def rejection_feedback(transition) -> None:
    """Process effect of a rejection: its feedback is the Outcome's published feedback."""
    if transition.event.candidate_message:
        publish_outcome(transition.application, transition.actor, transition.event.candidate_message)


@dataclass(frozen=True)
class FeedbackState:
    stage_id: int
    stage_name: str
    state: str  # "none", "draft" or "published"


@dataclass(frozen=True)
class StaffFeedback:
    stages: tuple[FeedbackState, ...]
    outcome_published: bool
    offer: object  # portal.feedback.read.OfferView or None
    can_offer: bool


def for_staff_page(application: Application, user: User) -> StaffFeedback | None:
    """The candidate-facing feedback section of the staff application page, for those who run it."""
    from portal.feedback import offers, read

    if not policy.runs_application(user, application):
        return None
    found = feedback_of(application.id)
    stages = tuple(
        FeedbackState(s.id, s.name, found[s.id].status if s.id in found else "none")
        for s in composable_stages(application)
    )
    outcome = found.get(outcome_stage(application).id)
    offer = offers.offer_for(application)
    return StaffFeedback(
        stages=stages,
        outcome_published=bool(outcome and outcome.is_published),
        offer=read.offer_view(offer) if offer else None,
        can_offer=offers.why_no_offer(application, offer) is None,
    )
