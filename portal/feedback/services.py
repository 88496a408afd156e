"""Scorecard operations: save a draft, submit, amend with a reason; and admins' edits of the kits.
Each is one unit of work that writes its audit entry."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.accounts.models import User
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.feedback.models import (
    KEEPER_ANSWERS,
    RATINGS,
    Competency,
    CompetencyGroup,
    InterviewKit,
    Rating,
    Recommendation,
    Scorecard,
    ScorecardStatus,
    ScorecardVersion,
)
from portal.scheduling.models import Interview, InterviewStatus
from portal.timeutil import utcnow
from portal.unit_of_work import transactional

# Interviews that ask for a scorecard once they have started.
SCORED_STATUSES = (InterviewStatus.BOOKED.value, InterviewStatus.COMPLETED.value)


class ScorecardClosed(DomainError):
    """The interview asks for no scorecard (not yet started, cancelled, a no-show)."""


class AlreadySubmitted(DomainError):
    """A submitted scorecard changes only by an amendment with a reason."""


class Incomplete(DomainError):
    """A submission without every rating, the Keeper Test or the recommendation."""

    def __init__(self, message: str, missing: dict[str, str]):
        super().__init__(message)
        self.missing = missing  # field name -> message


@dataclass
class ScorecardInput:
    """What the interviewer wrote: ratings by competency id (None: not rated yet) and the rest."""

    ratings: dict[int, int | None] = field(default_factory=dict)
    keeper_test: str | None = None
    recommendation: str | None = None
    private_notes: str = ""
    strengths: str = ""
    growth_areas: str = ""


def competencies_for(kind_key: str, scorecard: Scorecard | None = None) -> list[Competency]:
    """What a scorecard of this kind rates: the kind's competencies, the values and the soft skills in
    use, plus any retired one the scorecard already rated (so its rating still shows)."""
    rated = [r.competency_id for r in scorecard.ratings] if scorecard else []
    query = select(Competency).where(
        or_(
            (Competency.kind_key == kind_key) & (Competency.area == CompetencyGroup.COMPETENCY.value),
            Competency.kind_key.is_(None),
        ),
        or_(Competency.retired.is_(False), Competency.id.in_(rated) if rated else False),
    )
    area_order = {g.value: i for i, g in enumerate(CompetencyGroup)}
    return sorted(db.session.scalars(query), key=lambda c: (area_order[c.area], c.order, c.id))


def scorecard_of(interview: Interview) -> Scorecard | None:
    return db.session.scalar(
        select(Scorecard).where(
            Scorecard.interview_id == interview.id, Scorecard.interviewer_id == interview.interviewer_id
        )
    )


def why_closed(interview: Interview, now=None) -> str | None:
    """Why this interview takes no scorecard now, or None when it does."""
    if interview.status not in SCORED_STATUSES:
        return f"This interview was marked {interview.status_label.lower()}: it takes no scorecard."
    if interview.starts_at > (now or utcnow()):
        return "The scorecard opens when the interview starts. Read the interview kit meanwhile."
    return None


def _own_interview(interview_id: int, actor: User) -> Interview:
    interview = db.session.get(Interview, interview_id)
    if interview is None or interview.interviewer_id != actor.id:
        raise NotAllowed("Only the interview's own interviewer writes its scorecard.")
    return interview


def _locked_scorecard(interview: Interview, actor: User) -> Scorecard | None:
    """The interviewer's scorecard of `interview`, read for a change after the application's lock, as
    every change of an application takes it: of two saves at once (a double click, two tabs), the
    second reads the scorecard as the first left it, on SQLite too (which has no row locks)."""
    from portal.hiring.services import lock_application

    lock_application(interview.application_id)
    return db.session.scalar(
        select(Scorecard)
        .where(Scorecard.interview_id == interview.id, Scorecard.interviewer_id == actor.id)
        .with_for_update(of=Scorecard)
        .execution_options(populate_existing=True)
    )


def _check(data: ScorecardInput, competencies: list[Competency], *, complete: bool) -> None:
    known = {c.id for c in competencies}
    if set(data.ratings) - known:
        raise DomainError("A rating names something this scorecard does not rate.")
    if any(value is not None and value not in RATINGS for value in data.ratings.values()):
        raise DomainError("Ratings go from 1 to 4.")
    if data.keeper_test is not None and data.keeper_test not in KEEPER_ANSWERS:
        raise DomainError("Answer the Keeper Test with yes or no.")
    if data.recommendation is not None and data.recommendation not in {r.value for r in Recommendation}:
        raise DomainError("Choose one of the recommendations shown.")
    if not complete:
        return
    missing = {
        f"rating_{c.id}": "Rate this before you submit."
        for c in competencies
        if not c.retired and data.ratings.get(c.id) is None
    }
    if data.keeper_test is None:
        missing["keeper_test"] = "Answer the Keeper Test before you submit."
    if data.recommendation is None:
        missing["recommendation"] = "Choose your recommendation before you submit."
    if missing:
        raise Incomplete("Some answers are missing: see the fields marked.", missing)


def _write(scorecard: Scorecard, data: ScorecardInput, competencies: list[Competency]) -> None:
    by_id = {r.competency_id: r for r in scorecard.ratings}
    for competency in competencies:
        value = data.ratings.get(competency.id)
        if competency.id in by_id:
            by_id[competency.id].rating = value
        else:
            scorecard.ratings.append(Rating(competency_id=competency.id, rating=value))
    scorecard.keeper_test = data.keeper_test
    scorecard.recommendation = data.recommendation
    scorecard.private_notes = data.private_notes
    scorecard.strengths = data.strengths
    scorecard.growth_areas = data.growth_areas
    scorecard.updated_at = utcnow()


@transactional
def save(interview_id: int, actor: User, data: ScorecardInput, *, submit: bool) -> Scorecard:
    """Save the interviewer's scorecard as a draft, or submit it (then it is complete and final,
    amended only with a reason)."""
    interview = _own_interview(interview_id, actor)
    scorecard = _locked_scorecard(interview, actor)
    closed = why_closed(interview)
    if closed:
        raise ScorecardClosed(closed)
    if scorecard is not None and scorecard.is_submitted:
        raise AlreadySubmitted("This scorecard is already submitted: to change it, amend it with a reason.")
    competencies = competencies_for(interview.kind_key, scorecard)
    _check(data, competencies, complete=submit)
    if scorecard is None:
        scorecard = Scorecard(
            interview_id=interview.id,
            application_id=interview.application_id,
            interviewer_id=actor.id,
            kind_key=interview.kind_key,
        )
        db.session.add(scorecard)
        try:
            db.session.flush()
        except IntegrityError:
            # Another request of the same interviewer started it at the same moment.
            raise DomainError("This scorecard was just saved from another window: reload it and try again.") from None
    _write(scorecard, data, competencies)
    if submit:
        scorecard.status = ScorecardStatus.SUBMITTED.value
        scorecard.submitted_at = utcnow()
    db.session.flush()
    audit.record(
        "scorecard.submit" if submit else "scorecard.save_draft",
        scorecard,
        actor=actor,
        interview_id=interview.id,
        application_id=interview.application_id,
    )
    return scorecard


def snapshot(scorecard: Scorecard, competencies: list[Competency]) -> dict:
    """The scorecard's content as plain data, with competency names as they read now."""
    rated = {r.competency_id: r.rating for r in scorecard.ratings}
    return {
        "ratings": [{"area": c.area, "name": c.name, "rating": rated.get(c.id)} for c in competencies if c.id in rated],
        "keeper_test": scorecard.keeper_test,
        "recommendation": scorecard.recommendation,
        "private_notes": scorecard.private_notes,
        "strengths": scorecard.strengths,
        "growth_areas": scorecard.growth_areas,
    }


MAX_REASON = 1000


@transactional
def amend(interview_id: int, actor: User, data: ScorecardInput, reason: str) -> Scorecard:
    """Change a submitted scorecard: the version it replaces is kept with the reason, and audited."""
    interview = _own_interview(interview_id, actor)
    reason = (reason or "").strip()
    if not reason:
        raise Incomplete("Say why you amend the scorecard.", {"reason": "Say why you amend it."})
    if len(reason) > MAX_REASON:
        raise Incomplete("The reason is too long.", {"reason": f"At most {MAX_REASON} characters."})
    scorecard = _locked_scorecard(interview, actor)
    if scorecard is None or not scorecard.is_submitted:
        raise DomainError("Only a submitted scorecard is amended; a draft is simply saved.")
    competencies = competencies_for(interview.kind_key, scorecard)
    _check(data, competencies, complete=True)
    version = scorecard.version
    db.session.add(
        ScorecardVersion(
            scorecard_id=scorecard.id,
            version=version,
            content=snapshot(scorecard, competencies),
            submitted_at=scorecard.submitted_at,
            reason=reason,
            amended_by_id=actor.id,
        )
    )
    _write(scorecard, data, competencies)
    scorecard.version = version + 1
    scorecard.submitted_at = utcnow()
    db.session.flush()
    audit.record(
        "scorecard.amend",
        scorecard,
        actor=actor,
        interview_id=interview.id,
        application_id=interview.application_id,
        replaced_version=version,
        reason=reason,
    )
    return scorecard


# --- kits ------------------------------------------------------------------------------------------


@dataclass
class CompetencyInput:
    id: int | None
    name: str
    description: str = ""
    strong: str = ""
    weak: str = ""


@transactional
def update_kit(
    actor: User, kind_key: str, *, probe: str, scenarios: list[str], competencies: list[CompetencyInput]
) -> InterviewKit:
    """An admin's edit of one kind's kit. A competency left without a name is retired (scorecards
    that rated it keep showing it); one with a new name is added at the end."""
    from portal.hiring.models import InterviewKind

    if db.session.get(InterviewKind, kind_key) is None:
        raise DomainError("There is no such kind of interview.")
    kit = db.session.get(InterviewKit, kind_key)
    if kit is None:
        kit = InterviewKit(kind_key=kind_key)
        db.session.add(kit)
    kit.probe = probe
    kit.scenarios = [s for s in scenarios if s.strip()]
    kit.updated_at = utcnow()
    kit.updated_by_id = actor.id
    existing = {
        c.id: c
        for c in db.session.scalars(
            select(Competency).where(
                Competency.kind_key == kind_key, Competency.area == CompetencyGroup.COMPETENCY.value
            )
        )
    }
    order = max((c.order for c in existing.values()), default=0)
    for item in competencies:
        if item.id is not None:
            competency = existing.get(item.id)
            if competency is None:
                raise DomainError("A competency of another kind cannot be edited here.")
            if not item.name.strip():
                competency.retired = True
                continue
            competency.retired = False
        elif not item.name.strip():
            continue
        else:
            order += 1
            competency = Competency(area=CompetencyGroup.COMPETENCY.value, kind_key=kind_key, order=order)
            db.session.add(competency)
        competency.name = item.name.strip()
        competency.description, competency.strong, competency.weak = item.description, item.strong, item.weak
    db.session.flush()
    audit.record("kit.update", object_type="feedback_kits", object_id=None, actor=actor, kind=kind_key)
    return kit
