"""The candidate's feedback on the process: a rating (1 to 5) and a comment for each stage they went
through, once per stage. Anonymous: staff read only the figures of a stage and position, and only when
at least MIN_GROUP candidates answered, so no answer can be traced to the person who gave it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.accounts.models import User
from portal.errors import DomainError
from portal.extensions import db
from portal.feedback.outcome_models import StageRating
from portal.forms import typed_text
from portal.hiring.models import Application, Position, Stage, StageKind
from portal.security import policy
from portal.timeutil import utcnow
from portal.unit_of_work import transaction

# No figure is shown for fewer answers than this.
MIN_GROUP = 5
MAX_COMMENT = 2000
# The stages a candidate takes part in (an interview, a take-home); review and decision are staff's.
RATED_KINDS = (StageKind.SCREEN.value, StageKind.TECHNICAL.value, StageKind.LOOP.value)
SCALE = {1: "Very poor", 2: "Poor", 3: "OK", 4: "Good", 5: "Excellent"}


class AlreadyRated(DomainError):
    """Each stage is rated once."""


def completed_stages(application: Application) -> list[Stage]:
    """The stages the candidate went through and left (the current one is still under way)."""
    current = application.stage.order
    return [s for s in application.position.process.stages if s.kind in RATED_KINDS and s.order < current]


def rated_stage_ids(application_id: int) -> set[int]:
    return set(db.session.scalars(select(StageRating.stage_id).where(StageRating.application_id == application_id)))


def rate(application_id: int, candidate: User, stage_id: int, rating: int, comment: str) -> None:
    """Keep the candidate's rating of a stage they completed (once)."""
    comment = typed_text(comment, max_length=MAX_COMMENT, multi_line=True)
    if rating not in SCALE:
        raise DomainError("Choose a rating from 1 to 5.")
    try:
        with transaction():
            application = db.session.get(Application, application_id)
            if application is None or not policy.owns_application(candidate, application):
                raise LookupError(application_id)
            stage = next((s for s in completed_stages(application) if s.id == stage_id), None)
            if stage is None:
                raise DomainError("You can rate a stage once you have completed it.")
            if stage_id in rated_stage_ids(application.id):
                raise AlreadyRated(f"You have rated {stage.name} already. Thank you.")
            db.session.add(
                StageRating(
                    application_id=application.id,
                    position_id=application.position_id,
                    stage_id=stage.id,
                    rating=rating,
                    comment=comment,
                    given_on=utcnow().date(),
                )
            )
            db.session.flush()
            # Audited against the position, without the candidate or the rating: the entry must not
            # undo the anonymity the staff pages keep.
            audit.record("stage_rating.given", application.position, anonymous=True, stage=stage.key)
    except IntegrityError:
        # Two clicks at once: the unique constraint kept the first.
        raise AlreadyRated("You have rated this stage already. Thank you.") from None


@dataclass(frozen=True)
class StageSatisfaction:
    stage_name: str
    answers: int  # the answers the figures count: whole groups of MIN_GROUP, the earliest first
    shown: bool  # enough answers to show anything
    average: float | None
    counts: tuple[int, ...]  # answers per rating, 1 to 5 (empty when not shown)
    comments: tuple[str, ...]  # sorted by text, never by time (empty when not shown)


def satisfaction(position: Position) -> list[StageSatisfaction]:
    """Per stage of the position's process, the figures and comments of its answers (one query).

    Answers count in whole groups of MIN_GROUP, the earliest first: one more answer changes nothing
    on the page until the group it starts is full. Otherwise a reader who saw the page before and after
    a candidate's answer (and knows from the pipeline who just left the stage) would read that answer.
    """
    stages = [s for s in position.process.stages if s.kind in RATED_KINDS]
    answers: dict[int, list[tuple[int, str]]] = {}
    for stage_id, rating, comment in db.session.execute(
        select(StageRating.stage_id, StageRating.rating, StageRating.comment)
        .where(StageRating.position_id == position.id)
        .order_by(StageRating.id)
    ):
        answers.setdefault(stage_id, []).append((rating, comment))
    result = []
    for stage in stages:
        given = answers.get(stage.id, [])
        counted = given[: len(given) // MIN_GROUP * MIN_GROUP]
        shown = bool(counted)
        result.append(
            StageSatisfaction(
                stage_name=stage.name,
                answers=len(counted),
                shown=shown,
                average=round(sum(r for r, _ in counted) / len(counted), 1) if shown else None,
                counts=tuple(sum(1 for r, _ in counted if r == value) for value in SCALE) if shown else (),
                comments=tuple(sorted(c for _, c in counted if c)) if shown else (),
            )
        )
    return result
