"""The decision: every interviewer of the on-site rounds votes hire or no hire with a reason, and the
hiring manager records it. "Hire" is a guard of the hire transition itself (registered by
portal.feedback.init_app), so no route, role or script records a hire without a unanimous vote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select

from portal import audit
from portal.accounts.models import Role, User
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.feedback.models import Scorecard, ScorecardStatus, Vote, VoteChoice
from portal.hiring import process
from portal.hiring.models import Application, ApplicationStatus, Position, Stage, StageKind
from portal.scheduling.models import Interview, InterviewStatus
from portal.security import policy
from portal.timeutil import utcnow
from portal.unit_of_work import transactional

MAX_REASON = 500


@dataclass(frozen=True)
class Voter:
    user_id: int
    name: str
    scorecards_missing: int  # of their on-site interviews
    choice: str | None
    reason: str


@dataclass(frozen=True)
class Tally:
    voters: tuple[Voter, ...]

    @property
    def open(self) -> bool:
        """Every on-site interviewer has submitted: the votes may be cast."""
        return bool(self.voters) and not self.scorecards_missing

    @property
    def scorecards_missing(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.voters if v.scorecards_missing)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.voters if v.choice is None)

    @property
    def dissenting(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.voters if v.choice == VoteChoice.NO_HIRE.value)

    @property
    def unanimous(self) -> bool:
        return self.open and all(v.choice == VoteChoice.HIRE.value for v in self.voters)

    def voter(self, user_id: int) -> Voter | None:
        return next((v for v in self.voters if v.user_id == user_id), None)


def tally(application_id: int) -> Tally:
    """Who votes (the interviewers of the on-site interviews held), their scorecards and votes: two
    queries, however large the panel."""
    rows = db.session.execute(
        select(Interview.interviewer_id, User.name, Scorecard.status)
        .join(User, User.id == Interview.interviewer_id)
        .join(Stage, Stage.id == Interview.stage_id)
        .outerjoin(
            Scorecard,
            (Scorecard.interview_id == Interview.id) & (Scorecard.interviewer_id == Interview.interviewer_id),
        )
        .where(
            Interview.application_id == application_id,
            Interview.status == InterviewStatus.COMPLETED.value,
            Stage.kind == StageKind.LOOP.value,
        )
        .order_by(User.name, Interview.interviewer_id)
    ).all()
    votes = {
        vote.voter_id: vote for vote in db.session.scalars(select(Vote).where(Vote.application_id == application_id))
    }
    missing: dict[int, int] = {}
    names: dict[int, str] = {}
    for user_id, name, status in rows:
        names[user_id] = name
        missing[user_id] = missing.get(user_id, 0) + (status != ScorecardStatus.SUBMITTED.value)
    return Tally(
        tuple(
            Voter(
                user_id,
                names[user_id],
                missing[user_id],
                votes[user_id].choice if user_id in votes else None,
                votes[user_id].reason if user_id in votes else "",
            )
            for user_id in names
        )
    )


def _is_hiring_manager(actor, application: Application) -> bool:
    return bool(
        policy.is_staff(actor)
        and actor.has_role(Role.HIRING_MANAGER)
        and application.position.hiring_manager_id == actor.id
    )


def hire_guard(application: Application, action, actor) -> process.Refusal | None:
    """A hire only by the position's hiring manager, and only with every on-site interviewer's vote."""
    if not _is_hiring_manager(actor, application):
        return process.Refusal("not_hiring_manager", "Only the position's hiring manager records a hire.")
    found = tally(application.id)
    if not found.voters:
        return process.Refusal("no_panel", "No on-site interview was held: there is no team to decide.")
    if found.scorecards_missing:
        return process.Refusal(
            "scorecards_missing",
            "Not every interviewer has submitted their scorecard.",
            missing=found.scorecards_missing,
        )
    if not found.unanimous:
        return process.Refusal(
            "not_unanimous",
            "A hire needs every interviewer's vote for hire.",
            missing=found.missing,
            dissenting=found.dissenting,
        )
    return None


def _at_decision(application_id: int) -> Application:
    from portal.hiring.services import lock_application

    application = lock_application(application_id)
    if application is None:
        raise LookupError(application_id)
    if not application.is_active or not application.stage.is_decision:
        raise DomainError("This application is not waiting for a decision.")
    return application


@transactional
def vote(application_id: int, actor: User, choice: str, reason: str) -> Vote:
    """Cast or change one's vote while the decision is open."""
    if choice not in {c.value for c in VoteChoice}:
        raise DomainError("Vote hire or no hire.")
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise DomainError(f"Give a short reason for your vote (at most {MAX_REASON} characters).")
    application = _at_decision(application_id)
    found = tally(application.id)
    if found.voter(actor.id) is None:
        raise NotAllowed("Only the interviewers of the on-site rounds vote.")
    if not found.open:
        raise DomainError("The vote opens once every interviewer has submitted their scorecard.")
    existing = db.session.scalar(
        select(Vote).where(Vote.application_id == application.id, Vote.voter_id == actor.id).with_for_update()
    )
    if existing is None:
        existing = Vote(application_id=application.id, voter_id=actor.id)
        db.session.add(existing)
    existing.choice, existing.reason, existing.voted_at = choice, reason, utcnow()
    db.session.flush()
    audit.record("decision.vote", application, actor=actor, choice=choice, reason=reason)
    return existing


@transactional
def record(application_id: int, actor: User, feedback: str = "") -> str:
    """The hiring manager records the decision: "hire" if unanimous, else "not selected" (with the
    candidate's feedback) once everyone has voted. Returns the action taken."""
    from portal.hiring import services as hiring

    application = _at_decision(application_id)
    if not _is_hiring_manager(actor, application):
        raise NotAllowed("Only the position's hiring manager records the decision.")
    found = tally(application.id)
    if found.unanimous:
        hiring.move(application.id, process.Action.HIRE, actor)
        return process.Action.HIRE.value
    if not found.open or found.missing:
        waiting = ", ".join(found.scorecards_missing or found.missing) or "the interview team"
        raise DomainError(f"Waiting for {waiting}. To stop the process now, reject with feedback.")
    if not (feedback or "").strip():
        raise DomainError("The vote is not unanimous: write feedback for the candidate to record “not selected”.")
    hiring.move(application.id, process.Action.REJECT, actor, feedback=feedback)
    return process.Action.REJECT.value


# --- the decisions across positions, for HR ------------------------------------------------------


@dataclass(frozen=True)
class DecisionRow:
    """One team decision as HR follows them: who, for which position, where it stands and the votes;
    no scorecard, no reason, no voter's name."""

    application_id: int
    candidate: str
    position: str
    status: str
    hire_votes: int
    no_hire_votes: int
    since: datetime  # when the application reached the decision, or was decided

    @property
    def state_label(self) -> str:
        if self.status == ApplicationStatus.ACTIVE.value:
            return "Open: the team votes"
        if self.status == ApplicationStatus.HIRED.value:
            return "Hire"
        if self.status == ApplicationStatus.REJECTED.value:
            return "Not selected"
        return ApplicationStatus(self.status).label


OVERVIEW_LIMIT = 200


def overview(limit: int = OVERVIEW_LIMIT) -> list[DecisionRow]:
    """The decisions open now and those the teams took, latest first, in one query: applications at
    the decision stage, and any application with votes cast."""

    def votes(choice: VoteChoice):
        return (
            select(func.count())
            .where(Vote.application_id == Application.id, Vote.choice == choice.value)
            .scalar_subquery()
        )

    has_votes = exists().where(Vote.application_id == Application.id)
    since = func.coalesce(Application.closed_at, Application.stage_entered_at)
    rows = db.session.execute(
        select(
            Application.id,
            User.name,
            Position.title,
            Application.status,
            votes(VoteChoice.HIRE),
            votes(VoteChoice.NO_HIRE),
            since,
        )
        .join(User, User.id == Application.candidate_id)
        .join(Position, Position.id == Application.position_id)
        .join(Stage, Stage.id == Application.stage_id)
        .where(
            or_(
                and_(Application.status == ApplicationStatus.ACTIVE.value, Stage.kind == StageKind.DECISION.value),
                has_votes,
            )
        )
        .order_by(since.desc(), Application.id.desc())
        .limit(limit)
    )
    return [DecisionRow(*row) for row in rows]
