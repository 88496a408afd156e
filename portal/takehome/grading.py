"""Blind grading of take-homes: who runs an application assigns graders from the position's
interviewer pool; each grader scores every rubric criterion (1 to 4, with a comment) and recommends,
knowing the work only by its code; the weighted scores go to who runs the application.

A grader is told the code and nothing else: the code is random (not derived from any id or name),
the files are served under neutral names, and the grader's pages and mail are fed by read models
(grading_read) that hold no field of the application or the candidate.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import select

from portal import audit
from portal.accounts.models import User
from portal.errors import DomainError, InvalidInput, NotAllowed
from portal.extensions import db
from portal.forms import typed_text
from portal.hiring.models import Application
from portal.notifications.services import queue_mail
from portal.scheduling.models import PoolMember
from portal.security import policy
from portal.takehome import screen
from portal.takehome.models import (
    SCORES,
    Attempt,
    AttemptStatus,
    CriterionScore,
    Grade,
    GradeRecommendation,
    GradeStatus,
    Submission,
)
from portal.timeutil import utcnow
from portal.unit_of_work import transactional

# Letters and digits that cannot be misread for one another (no 0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
CODE_PATTERN = rf"TH-[{CODE_ALPHABET}]{{{CODE_LENGTH}}}"
MAX_COMMENT = 5_000
MAX_SUMMARY = 10_000


class GradeRefused(InvalidInput):
    """A grade that cannot be kept as sent: `problems` names each field to change, and why."""

    def __init__(self, message: str, problems: dict[str, str]):
        super().__init__(message)
        self.problems = problems


def new_code() -> str:
    while True:
        code = "TH-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.session.scalar(select(Attempt.id).where(Attempt.code == code)) is None:
            return code


def attempt_by_code(code: str) -> Attempt | None:
    return db.session.scalar(select(Attempt).where(Attempt.code == code)) if code else None


def graded_attempt(application_id: int) -> Attempt | None:
    """The application's take-home that was handed in (the latest, if the format changed back and forth)."""
    return db.session.scalar(
        select(Attempt)
        .where(Attempt.application_id == application_id, Attempt.status == AttemptStatus.SUBMITTED.value)
        .order_by(Attempt.id.desc())
        .limit(1)
    )


def latest_submission(attempt_id: int) -> Submission | None:
    return db.session.scalar(
        select(Submission).where(Submission.attempt_id == attempt_id).order_by(Submission.version.desc()).limit(1)
    )


def grades_of(attempt_id: int) -> list[Grade]:
    return list(db.session.scalars(select(Grade).where(Grade.attempt_id == attempt_id).order_by(Grade.id)))


def pool_of(position_id: int) -> list[User]:
    """The position's interviewer pool (anyone in it, for any kind of interview): who may grade."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.id.in_(select(PoolMember.user_id).where(PoolMember.position_id == position_id)))
            .where(User.active.is_(True))
            .order_by(User.name, User.id)
        )
    )


def blind_graders(application: Application) -> list[User]:
    """Who may grade the application's take-home: the position's pool, less anyone who can open the
    application itself (who runs the position, who interviews the candidate), since they know whose
    work it is and, on its staff page, what the others graded."""
    return [user for user in pool_of(application.position_id) if not policy.sees_application(user, application)]


def weighted_score(scored: list[tuple[int, int]]) -> int:
    """The weighted mean of (score, weight) pairs in hundredths (1.00 to 4.00 as 100 to 400),
    rounded half up with integers alone, so the figure never depends on float rounding."""
    total_weight = sum(weight for _, weight in scored)
    if not total_weight:
        raise ValueError("no weight to average")
    points = sum(score * weight for score, weight in scored)
    return (200 * points + total_weight) // (2 * total_weight)


def mean_score(scores: list[int]) -> int | None:
    """The mean of graders' weighted scores (hundredths), rounded half up; None before any grade."""
    return (2 * sum(scores) + len(scores)) // (2 * len(scores)) if scores else None


def score_text(hundredths: int | None) -> str:
    return "—" if hundredths is None else f"{hundredths // 100}.{hundredths % 100:02d}"


@transactional
def assign_grader(application_id: int, actor: User, grader_id: int) -> Grade:
    """Ask someone of the position's pool to grade the application's take-home, blind: they are mailed its code."""
    application = screen._locked_application(application_id)
    if not policy.runs_application(actor, application):
        raise NotAllowed("Only the position's recruiter or hiring manager assigns graders.")
    if not application.is_active:
        raise DomainError("This application is closed: its take-home is not graded any more.")
    attempt = graded_attempt(application.id)
    if attempt is None:
        raise DomainError("Nothing is handed in yet: graders are assigned once the candidate hands in.")
    grader = next((u for u in pool_of(application.position_id) if u.id == grader_id), None)
    if grader is None:
        raise InvalidInput("Choose a grader from the position's interviewer pool.")
    if policy.sees_application(grader, application):
        raise InvalidInput(
            f"{grader.name} knows who the candidate is (they run the position or interview the candidate): "
            "choose someone who can grade blind."
        )
    if any(g.grader_id == grader.id for g in grades_of(attempt.id)):
        raise InvalidInput(f"{grader.name} already grades this take-home.")
    if attempt.code is None:
        attempt.code = new_code()
    grade = Grade(attempt_id=attempt.id, grader_id=grader.id, assigned_by_id=actor.id, assigned_at=utcnow())
    db.session.add(grade)
    db.session.flush()
    audit.record("takehome.grader_assigned", attempt, actor=actor, grader_id=grader.id, code=attempt.code)
    # The code, the assignment's title and the link: nothing of the candidate or the application.
    queue_mail(grader, "takehome_to_grade", code=attempt.code, title=attempt.assignment.title)
    return grade


@dataclass(frozen=True)
class GradeInput:
    """A grader's grade as typed: per rubric criterion (by id) a score and a comment, then the whole."""

    scores: dict[int, int | None] = field(default_factory=dict)
    comments: dict[int, str] = field(default_factory=dict)
    recommendation: str | None = None
    comment: str = ""


def _checked_text(problems: dict, name: str, value: str, *, max_length: int, required: str = "") -> str:
    try:
        return typed_text(value, max_length=max_length, multi_line=True, required=required)
    except InvalidInput as exc:
        problems[name] = exc.message
        return ""


@transactional
def submit_grade(code: str, actor: User, data: GradeInput) -> Grade:
    """Record the grader's own grade of the latest version, once: every criterion scored, a recommendation."""
    attempt = attempt_by_code(code)
    if attempt is None:
        raise LookupError(code)
    # The application's lock first, as every change of it does: of two submits at once (a double click,
    # two tabs), the second reads the grade after the first has committed it, on SQLite too.
    screen._locked_application(attempt.application_id)
    grade = db.session.scalar(
        select(Grade)
        .where(Grade.attempt_id == attempt.id, Grade.grader_id == actor.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if grade is None or not policy.is_staff(actor):
        raise NotAllowed("Only an assigned grader grades this take-home.")
    if grade.is_submitted:
        raise DomainError("Your grade is already submitted.")
    if not db.session.get(Application, attempt.application_id).is_active:
        # Said without why: whether the candidate withdrew or was turned down is not the grader's to know.
        raise DomainError("This take-home is no longer being graded. Thank you all the same.")
    submission = latest_submission(attempt.id)
    if submission is None:
        raise DomainError("Nothing is handed in to grade.")
    problems: dict[str, str] = {}
    scored = []
    for criterion in attempt.assignment.criteria:
        score = data.scores.get(criterion.id)
        if score not in SCORES:
            problems[f"score_{criterion.id}"] = f"Score “{criterion.name}” from 1 to {max(SCORES)}."
        comment = _checked_text(
            problems, f"comment_{criterion.id}", data.comments.get(criterion.id, ""), max_length=MAX_COMMENT
        )
        scored.append((criterion, score, comment))
    if data.recommendation not in {r.value for r in GradeRecommendation}:
        problems["recommendation"] = "Choose your recommendation."
    summary = _checked_text(
        problems, "comment", data.comment, max_length=MAX_SUMMARY, required="Sum up your grade for the team."
    )
    if problems:
        raise GradeRefused("Please correct the fields marked below: nothing was saved.", problems)
    for order, (criterion, score, comment) in enumerate(scored, start=1):
        grade.scores.append(
            CriterionScore(
                criterion_id=criterion.id,
                order=order,
                name=criterion.name,
                weight=criterion.weight,
                score=score,
                comment=comment,
            )
        )
    grade.weighted_score = weighted_score([(score, criterion.weight) for criterion, score, _ in scored])
    grade.recommendation = data.recommendation
    grade.comment = summary
    grade.submission_id = submission.id
    grade.submitted_at = utcnow()
    grade.status = GradeStatus.SUBMITTED.value
    db.session.flush()
    audit.record(
        "takehome.grade_submitted",
        attempt,
        actor=actor,
        grade=grade.id,
        version=submission.version,
        weighted_score=score_text(grade.weighted_score),
        recommendation=grade.recommendation,
    )
    return grade


@transactional
def record_download(attempt: Attempt, actor: User, number: int) -> None:
    """A grader downloaded a file of the take-home: who, which take-home and which file, in the audit log."""
    audit.record("takehome.grading_download", attempt, actor=actor, code=attempt.code, file=number)


def audit_outcome(transition) -> None:
    """Process effect: passing (advance) or rejecting at the technical screen after grading is audited
    with the grades the team had before it, whichever button or script took the action."""
    application: Application = transition.application
    attempt = db.session.scalar(
        select(Attempt).where(
            Attempt.application_id == application.id,
            Attempt.stage_id == transition.from_stage.id,
            Attempt.status == AttemptStatus.SUBMITTED.value,
        )
    )
    if attempt is None:
        return
    submitted = [g for g in grades_of(attempt.id) if g.is_submitted]
    if not submitted:
        return
    mean = mean_score([g.weighted_score for g in submitted])
    audit.record(
        "takehome.passed" if transition.action.value == "advance" else "takehome.rejected",
        attempt,
        actor=transition.actor,
        code=attempt.code,
        weighted_score=score_text(mean),
        recommendations=[g.recommendation for g in submitted],
    )
