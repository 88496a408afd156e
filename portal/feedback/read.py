"""What a candidate reads of the outcomes capability, as plain data: the feedback published for each
stage, the offer, and the stages they may still rate. Built from the published feedback, the offer
and the ratings only: nothing here is ever read from a scorecard or a vote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from portal.extensions import db
from portal.feedback.outcome_models import FeedbackStatus, Offer, OfferStatus, StageFeedback


@dataclass(frozen=True)
class PublishedFeedback:
    stage_id: int
    stage_name: str
    body: str  # Markdown written for the candidate; shown through the `markdown` filter (sanitised)
    published_at: datetime | None  # None in a staff preview
    is_outcome: bool


@dataclass(frozen=True)
class OfferView:
    role_title: str
    start_date: date
    note: str
    status: str
    status_label: str
    made_at: datetime
    answered_at: datetime | None

    @property
    def open(self) -> bool:
        return self.status == OfferStatus.OFFERED.value


@dataclass(frozen=True)
class RateableStage:
    stage_id: int
    stage_name: str


def offer_view(offer: Offer) -> OfferView:
    return OfferView(
        offer.role_title,
        offer.start_date,
        offer.note,
        offer.status,
        offer.status_label,
        offer.made_at,
        offer.answered_at,
    )


def for_application(application) -> dict:
    """The outcomes part of a candidate's application page (at most three small queries: the offer
    only for a hire, the ratings only once a stage is behind)."""
    from portal.feedback import stage_ratings

    stages = {s.id: s for s in application.position.process.stages}
    published = db.session.execute(
        select(StageFeedback.stage_id, StageFeedback.body, StageFeedback.published_at).where(
            StageFeedback.application_id == application.id,
            StageFeedback.status == FeedbackStatus.PUBLISHED.value,
        )
    ).all()
    feedback = tuple(
        sorted(
            (
                PublishedFeedback(stage_id, stages[stage_id].name, body, at, stages[stage_id].is_outcome)
                for stage_id, body, at in published
                if stage_id in stages
            ),
            key=lambda f: stages[f.stage_id].order,
        )
    )
    from portal.feedback import offers

    offer = offers.offer_for(application)
    completed = stage_ratings.completed_stages(application)
    rated = stage_ratings.rated_stage_ids(application.id) if completed else set()
    rateable = tuple(RateableStage(s.id, s.name) for s in completed if s.id not in rated)
    return {"feedback": feedback, "offer": offer_view(offer) if offer else None, "rateable": rateable}
