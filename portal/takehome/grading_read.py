"""Read models of blind grading. A grader's pages are built from GraderPage and GraderTask alone:
they hold the code, the brief, the rubric, the files under neutral names and the grades, and no field
of the application or the candidate, so a template cannot reach one by accident.
Who runs the application reads StaffGrading (with the graders' names) on its staff page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import select

from portal.accounts.models import User
from portal.extensions import db
from portal.hiring import process
from portal.hiring.models import StageKind
from portal.security import policy
from portal.storage.models import StoredFile
from portal.takehome import grading, submissions
from portal.takehome.models import SCORES, Attempt, Grade, GradeRecommendation, GradeStatus, Submission
from portal.takehome.read import CriterionView, criteria_of
from portal.templating import markdown


@dataclass(frozen=True)
class ScoreView:
    name: str
    weight: int
    score: int
    comment: str

    @property
    def label(self) -> str:
        return SCORES[self.score]


@dataclass(frozen=True)
class GradeView:
    grader: str  # a colleague's name; never the candidate's
    status: str
    weighted_score: int | None  # hundredths
    recommendation: str | None
    comment: str
    submitted_at: datetime | None
    version: int | None
    scores: tuple[ScoreView, ...]

    @property
    def submitted(self) -> bool:
        return self.status == GradeStatus.SUBMITTED.value

    @property
    def score_text(self) -> str:
        return grading.score_text(self.weighted_score)

    @property
    def recommendation_label(self) -> str:
        return GradeRecommendation(self.recommendation).label if self.recommendation else "—"


@dataclass(frozen=True)
class GradedFile:
    number: int  # 1, 2, ... in the order handed in: what the download address names
    name: str  # neutral: the code and the number, with the file's extension
    size: int
    sha256: str


@dataclass(frozen=True)
class GraderTask:
    code: str
    title: str
    assigned_at: datetime
    submitted: bool


@dataclass(frozen=True)
class GraderPage:
    code: str
    title: str
    brief_html: Markup
    criteria: tuple[CriterionView, ...]
    criterion_ids: tuple[int, ...]
    version: int | None
    handed_in_at: datetime | None
    late: bool
    repository_url: str | None
    files: tuple[GradedFile, ...]
    own: GradeView | None  # once submitted
    others: tuple[GradeView, ...]  # only once the grader's own is submitted (independence)
    others_waiting: int


def neutral_name(code: str, number: int, name: str) -> str:
    """A download name that says which take-home and which file, and nothing of who wrote it."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    suffix = suffix if re.fullmatch(r"[a-z0-9]{1,10}", suffix) else ""
    return f"{code}-file-{number}" + (f".{suffix}" if suffix else "")


def version_for(attempt: Attempt, reader=None) -> Submission | None:
    """The version a grader works on: the one their submitted grade judged (a later hand-in does not
    swap the files under a grade), else the latest."""
    if reader is not None:
        graded = db.session.scalar(
            select(Submission)
            .join(Grade, Grade.submission_id == Submission.id)
            .where(
                Grade.attempt_id == attempt.id,
                Grade.grader_id == reader.id,
                Grade.status == GradeStatus.SUBMITTED.value,
            )
        )
        if graded is not None:
            return graded
    return grading.latest_submission(attempt.id)


def graded_files(attempt: Attempt, reader=None) -> list[tuple[GradedFile, StoredFile]]:
    version = version_for(attempt, reader)
    if version is None:
        return []
    return [
        (GradedFile(n, neutral_name(attempt.code, n, f.name), f.size, f.sha256), f)
        for n, f in enumerate(submissions.files_of(version.id), start=1)
    ]


def _versions(grades: list[Grade]) -> dict[int, int]:
    ids = {g.submission_id for g in grades if g.submission_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(Submission.id, Submission.version).where(Submission.id.in_(ids))).all())


def _names(grades: list[Grade]) -> dict[int, str]:
    ids = {g.grader_id for g in grades}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}


def _grade_views(grades: list[Grade]) -> list[GradeView]:
    names, versions = _names(grades), _versions(grades)
    return [
        GradeView(
            grader=names.get(g.grader_id, "A former colleague"),
            status=g.status,
            weighted_score=g.weighted_score,
            recommendation=g.recommendation,
            comment=g.comment,
            submitted_at=g.submitted_at,
            version=versions.get(g.submission_id),
            scores=tuple(ScoreView(s.name, s.weight, s.score, s.comment) for s in g.scores),
        )
        for g in grades
    ]


def tasks_of(user) -> list[GraderTask]:
    """The take-homes this person is asked to grade, those still to grade first."""
    rows = db.session.execute(
        select(Grade, Attempt).join(Attempt, Attempt.id == Grade.attempt_id).where(Grade.grader_id == user.id)
    ).all()
    tasks = [GraderTask(a.code, a.assignment.title, g.assigned_at, g.is_submitted) for g, a in rows]
    return sorted(tasks, key=lambda t: (t.submitted, t.assigned_at))


def grader_page(attempt: Attempt, user) -> GraderPage:
    latest = version_for(attempt, user)
    grades = grading.grades_of(attempt.id)
    views = dict(zip((g.grader_id for g in grades), _grade_views(grades)))
    own = views.get(user.id)
    sees_others = policy.submitted_own_grade(user, attempt)
    others = [v for grader_id, v in views.items() if grader_id != user.id]
    assignment = attempt.assignment
    return GraderPage(
        code=attempt.code,
        title=assignment.title,
        brief_html=markdown(assignment.brief),
        criteria=criteria_of(assignment),
        criterion_ids=tuple(c.id for c in assignment.criteria),
        version=latest.version if latest else None,
        handed_in_at=latest.submitted_at if latest else None,
        late=bool(latest and latest.late),
        repository_url=latest.repository_url if latest else None,
        files=tuple(f for f, _ in graded_files(attempt, user)),
        own=own if own and own.submitted else None,
        others=tuple(v for v in others if v.submitted) if sees_others else (),
        others_waiting=sum(1 for v in others if not v.submitted),
    )


@dataclass(frozen=True)
class GraderChoice:
    id: int
    name: str


@dataclass(frozen=True)
class StaffGrading:
    """The grading of an application's take-home as who runs it sees it on the staff page."""

    code: str | None
    title: str
    version: int | None
    grades: tuple[GradeView, ...]  # the graders, with their grades once the rule lets the reader see them
    may_see: bool
    may_assign: bool
    pool: tuple[GraderChoice, ...]  # who may still be assigned
    mean_score: int | None
    # The reader may pass the candidate from here: a grade is in and readable, the application waits at
    # the technical screen, and the process lets the reader advance it.
    may_pass: bool = False

    @property
    def submitted(self) -> int:
        return sum(1 for g in self.grades if g.submitted)

    @property
    def mean_text(self) -> str:
        return grading.score_text(self.mean_score)

    @property
    def stale(self) -> int:
        """Submitted grades that judged an earlier version than the latest hand-in."""
        return sum(1 for g in self.grades if g.submitted and g.version and self.version and g.version < self.version)


def for_staff_page(application, actions=()) -> StaffGrading | None:
    """For the staff application page: only for who runs the application, once something is handed in.
    `actions`: what the process lets the reader do with the application now (the page asks it once)."""
    from flask_login import current_user

    if not policy.runs_application(current_user, application):
        return None
    attempt = grading.graded_attempt(application.id)
    if attempt is None:
        return None
    grades = grading.grades_of(attempt.id)
    may_see = policy.submitted_own_grade(current_user, attempt)
    views = _grade_views(grades)
    if not may_see:
        # Who is asked and who is done, but no score until the reader's own grade is in.
        views = [GradeView(v.grader, v.status, None, None, "", v.submitted_at, v.version, ()) for v in views]
    assigned = {g.grader_id for g in grades}
    pool = tuple(GraderChoice(u.id, u.name) for u in grading.blind_graders(application) if u.id not in assigned)
    latest = grading.latest_submission(attempt.id)
    scores = [g.weighted_score for g in grades if g.is_submitted]
    return StaffGrading(
        code=attempt.code,
        title=attempt.assignment.title,
        version=latest.version if latest else None,
        grades=tuple(views),
        may_see=may_see,
        may_assign=application.is_active,
        pool=pool,
        mean_score=grading.mean_score(scores) if may_see else None,
        may_pass=bool(scores)
        and may_see
        and application.stage.kind == StageKind.TECHNICAL.value
        and process.Action.ADVANCE in actions,
    )


@dataclass(frozen=True)
class GradeSummary:
    """Plain data for other pages (the scorecards side by side): the take-home's grades, no text."""

    code: str | None
    assigned: int
    submitted: int
    mean_score: int | None  # hundredths of the 1-4 scale
    mean_text: str
    recommendations: tuple[tuple[str, str], ...]  # (grader's name, recommendation label), submitted only


def grade_summary(application_id: int, reader=None) -> GradeSummary | None:
    """The weighted score and recommendations of an application's take-home, or None without one.

    Callers check who may read the application's assessments; given the `reader`, this keeps the
    graders' independence too: a reader asked to grade it who has not submitted their own grade gets
    None, whatever else they may see.
    """
    attempt = grading.graded_attempt(application_id)
    if attempt is None:
        return None
    if reader is not None and policy.grades_submission(reader, attempt):
        if not policy.submitted_own_grade(reader, attempt):
            return None
    grades = grading.grades_of(attempt.id)
    views = [v for v in _grade_views(grades) if v.submitted]
    mean = grading.mean_score([v.weighted_score for v in views])
    return GradeSummary(
        code=attempt.code,
        assigned=len(grades),
        submitted=len(views),
        mean_score=mean,
        mean_text=grading.score_text(mean),
        recommendations=tuple((v.grader, v.recommendation_label) for v in views),
    )
