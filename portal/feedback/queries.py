"""Scorecards as plain data for staff pages: the side by side of an application (behind the
independence rule), scorecards overdue, and the scorecard state of an interviewer's own interviews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import g
from sqlalchemy import select

from portal.accounts.models import User
from portal.extensions import db
from portal.feedback.models import (
    KEEPER_ANSWERS,
    RATINGS,
    Competency,
    CompetencyGroup,
    Rating,
    Recommendation,
    Scorecard,
    ScorecardStatus,
)
from portal.hiring.models import InterviewKind
from portal.scheduling.models import Interview, InterviewStatus
from portal.security import policy
from portal.takehome.grading_read import GradeSummary, grade_summary
from portal.timeutil import utcnow

# A scorecard not submitted this long after its interview ended is flagged.
OVERDUE_AFTER = timedelta(hours=24)
_AWAITING = (InterviewStatus.BOOKED.value, InterviewStatus.COMPLETED.value)


def is_overdue(ends_at: datetime, status: str | None, now: datetime | None = None) -> bool:
    """Whether an interview that ended at `ends_at` waits too long for its scorecard (`status`: the
    scorecard's, None when none was started)."""
    return status != ScorecardStatus.SUBMITTED.value and ends_at + OVERDUE_AFTER < (now or utcnow())


@dataclass(frozen=True)
class Column:
    """One submitted scorecard, as the side by side shows it."""

    id: int
    interviewer: str
    kind: str
    version: int
    submitted_at: datetime
    ratings: dict[str, int | None]  # "area:name" -> rating
    keeper_test: str
    recommendation: str
    recommendation_label: str
    private_notes: str
    strengths: str
    growth_areas: str


@dataclass(frozen=True)
class Waiting:
    interviewer: str
    interviewer_id: int
    kind: str
    interview_id: int
    ends_at: datetime
    draft: bool
    overdue: bool


@dataclass(frozen=True)
class StaffScorecards:
    may_see: bool  # the independence rule lets this viewer see the scorecards
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # (area label, ((key, name), ...))
    waiting: tuple[Waiting, ...]  # interviews held without a submitted scorecard
    own_waiting: tuple[Waiting, ...]  # the viewer's own
    ratings: dict
    keeper_answers: dict
    total_submitted: int
    takehome: GradeSummary | None = None  # the take-home's blind grades, beside the scorecards

    @property
    def overdue(self) -> tuple[Waiting, ...]:
        return tuple(w for w in self.waiting if w.overdue)


def for_staff_page(application, user, now: datetime | None = None) -> StaffScorecards | None:
    """The scorecards section of a staff application page, in at most four queries; None when the
    application has had no interview that takes a scorecard."""
    now = now or utcnow()
    interviews = db.session.execute(
        select(
            Interview.id, Interview.interviewer_id, User.name, InterviewKind.name, Interview.ends_at, Scorecard.status
        )
        .join(User, User.id == Interview.interviewer_id)
        .join(InterviewKind, InterviewKind.key == Interview.kind_key)
        .outerjoin(
            Scorecard,
            (Scorecard.interview_id == Interview.id) & (Scorecard.interviewer_id == Interview.interviewer_id),
        )
        .where(
            Interview.application_id == application.id,
            Interview.status.in_(_AWAITING),
            Interview.starts_at <= now,
        )
        .order_by(Interview.starts_at, Interview.id)
    ).all()
    if not interviews:
        return None
    waiting = tuple(
        Waiting(
            name,
            interviewer_id,
            kind,
            interview_id,
            ends_at,
            status == ScorecardStatus.DRAFT.value,
            is_overdue(ends_at, status, now),
        )
        for interview_id, interviewer_id, name, kind, ends_at, status in interviews
        if status != ScorecardStatus.SUBMITTED.value
    )
    total = sum(1 for *_, status in interviews if status == ScorecardStatus.SUBMITTED.value)
    may_see = policy.submitted_own_scorecard(user, application)
    columns, rows, takehome = (), (), None
    if may_see:
        columns, rows = _side_by_side(application.id)
        takehome = grade_summary(application.id, reader=user)
    return StaffScorecards(
        may_see=may_see,
        columns=columns,
        rows=rows,
        waiting=waiting,
        own_waiting=tuple(w for w in waiting if w.interviewer_id == user.id),
        ratings=RATINGS,
        keeper_answers=KEEPER_ANSWERS,
        total_submitted=total,
        takehome=takehome,
    )


def _side_by_side(application_id: int):
    """Every submitted scorecard of the application (one query) and their ratings (one more)."""
    cards = db.session.execute(
        select(Scorecard, InterviewKind.name)
        .join(InterviewKind, InterviewKind.key == Scorecard.kind_key)
        .where(Scorecard.application_id == application_id, Scorecard.status == ScorecardStatus.SUBMITTED.value)
        .order_by(Scorecard.submitted_at, Scorecard.id)
    ).all()
    if not cards:
        return (), ()
    ids = [card.id for card, _ in cards]
    rated = db.session.execute(
        select(Rating.scorecard_id, Rating.rating, Competency.area, Competency.name, Competency.order, Competency.id)
        .join(Competency, Competency.id == Rating.competency_id)
        .where(Rating.scorecard_id.in_(ids))
    ).all()
    by_card: dict[int, dict[str, int | None]] = {i: {} for i in ids}
    names: dict[str, dict[str, tuple]] = {g.value: {} for g in CompetencyGroup}
    for scorecard_id, rating, area, name, order, competency_id in rated:
        key = f"{area}:{name}"
        by_card[scorecard_id][key] = rating
        # A kind's competencies stay together, in the order of the columns that rated them.
        column = ids.index(scorecard_id) if area == CompetencyGroup.COMPETENCY.value else 0
        entry = (column, order, competency_id, name)
        names[area][key] = min(names[area].get(key, entry), entry)
    rows = tuple(
        (group.label, tuple((key, entry[3]) for key, entry in sorted(names[group.value].items(), key=lambda kv: kv[1])))
        for group in CompetencyGroup
        if names[group.value]
    )
    columns = tuple(
        Column(
            id=card.id,
            interviewer=card.interviewer.name,
            kind=kind,
            version=card.version,
            submitted_at=card.submitted_at,
            ratings=by_card[card.id],
            keeper_test=card.keeper_test or "",
            recommendation=card.recommendation or "",
            recommendation_label=Recommendation(card.recommendation).label if card.recommendation else "",
            private_notes=card.private_notes,
            strengths=card.strengths,
            growth_areas=card.growth_areas,
        )
        for card, kind in cards
    )
    return columns, rows


_OWN = "candor.feedback.own_scorecards"


def own_scorecard_status(user_id: int, interview_id: int) -> str | None:
    """The status of the user's scorecard for one of their interviews (None: not started). The
    user's scorecards are read once per request, however many interviews a page lists."""
    cache = g.get(_OWN)
    if cache is None or cache[0] != user_id:
        statuses = dict(
            db.session.execute(
                select(Scorecard.interview_id, Scorecard.status).where(Scorecard.interviewer_id == user_id)
            ).all()
        )
        cache = (user_id, statuses)
        setattr(g, _OWN, cache)
    return cache[1].get(interview_id)
