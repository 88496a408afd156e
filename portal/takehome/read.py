"""Read models for the technical-screen pages: plain data holding what each reader may see.

A candidate sees the brief and the starter files only once their clock runs (the brief is part of
the timed work); before that, the overview: time limit, what to hand in, how it is graded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_login import current_user
from markupsafe import Markup

from portal.extensions import db
from portal.hiring.models import Application, TechnicalFormat
from portal.security import policy
from portal.storage.filetypes import allowed_text
from portal.storage.kinds import size_text
from portal.takehome import extra_time, library, screen, submissions
from portal.takehome.models import Assignment, Attempt, AttemptStatus
from portal.templating import markdown
from portal.timeutil import utcnow

FORMAT_NAMES = {TechnicalFormat.LIVE.value: "Live technical screen", TechnicalFormat.TAKE_HOME.value: "Take-home"}


@dataclass(frozen=True)
class CriterionView:
    name: str
    description: str
    weight: int
    share: int  # percent of the whole score


@dataclass(frozen=True)
class FormatCard:
    """One format as the candidate compares it: what, how long, with whom, how assessed, how to prepare."""

    key: str
    title: str
    involves: str
    time: str
    meet: str
    assessed: str
    prepare: str
    criteria: tuple[CriterionView, ...] = ()


@dataclass(frozen=True)
class StarterFileView:
    id: int
    name: str
    size: int


@dataclass(frozen=True)
class TimeRequestView:
    id: int
    kind: str
    status: str
    reason: str
    answer: str
    granted_minutes: int
    requested_at: datetime

    @property
    def kind_label(self) -> str:
        return "Extra time (accommodation)" if self.kind == "accommodation" else "Extension"

    @property
    def status_label(self) -> str:
        return {"pending": "Waiting for an answer", "granted": "Granted", "declined": "Not granted"}[self.status]


@dataclass(frozen=True)
class VersionView:
    version: int
    submitted_at: datetime
    late: bool
    file_count: int
    total_bytes: int
    repository_url: str | None


@dataclass(frozen=True)
class AttemptView:
    title: str
    status: str
    time_limit_hours: float
    extra_minutes: int
    start_by: datetime
    started_at: datetime | None
    deadline: datetime | None
    can_start: bool
    start_window_passed: bool
    past_deadline: bool
    allowed: str
    max_file: str
    max_total: str
    max_files: int
    late_allowed: bool
    criteria: tuple[CriterionView, ...]
    brief_html: Markup | None  # only once the clock runs
    starter_files: tuple[StarterFileView, ...]  # likewise
    versions: tuple[VersionView, ...] = ()  # handed in, oldest first
    time_requests: tuple[TimeRequestView, ...] = ()

    @property
    def can_ask_time(self) -> bool:
        """Whether the page offers to ask for more time (the service judges again)."""
        pending = any(r.status == "pending" for r in self.time_requests)
        open_ = self.status in (
            AttemptStatus.NOT_STARTED.value,
            AttemptStatus.IN_PROGRESS.value,
            AttemptStatus.SUBMITTED.value,
        )
        return open_ and not pending and not self.past_deadline and not self.start_window_passed

    @property
    def can_submit(self) -> bool:
        """Whether the page offers the upload form (the service judges the time again)."""
        running = self.status in (AttemptStatus.IN_PROGRESS.value, AttemptStatus.SUBMITTED.value)
        return running and (not self.past_deadline or self.late_allowed)


@dataclass(frozen=True)
class TechnicalScreenView:
    application_id: int
    formats: tuple[FormatCard, ...]
    chosen: str | None
    chosen_name: str
    lock_reason: str | None
    attempt: AttemptView | None

    @property
    def can_change(self) -> bool:
        return self.lock_reason is None

    @property
    def only_one(self) -> bool:
        return len(self.formats) == 1


def criteria_of(assignment: Assignment) -> tuple[CriterionView, ...]:
    total = assignment.total_weight or 1
    return tuple(
        CriterionView(c.name, c.description, c.weight, round(100 * c.weight / total)) for c in assignment.criteria
    )


def _hours(minutes: int) -> str:
    hours = minutes / 60
    return f"{hours:g} hour{'' if hours == 1 else 's'}"


def _live_card(application: Application) -> FormatCard:
    planned = application.stage.interviews_for(TechnicalFormat.LIVE.value)
    minutes = planned[0].minutes if planned else 60
    return FormatCard(
        key=TechnicalFormat.LIVE.value,
        title=FORMAT_NAMES[TechnicalFormat.LIVE.value],
        involves="A video call: a coding exercise on a real-world problem, or a deep technical discussion "
        "of something you built. You think out loud and can ask questions at any time.",
        time=f"{minutes} minutes, at a time you book in your own time zone.",
        meet="An engineer from the team you would join.",
        assessed="The engineer scores problem solving, code quality and communication on the team's scorecard, "
        "and the hiring team reviews it.",
        prepare="Have the editor and language you are most at ease with ready, a quiet room, and a working camera "
        "and microphone. You can ask for an accommodation (extra time, breaks, another format) before booking.",
    )


def _take_home_card(assignment: Assignment) -> FormatCard:
    return FormatCard(
        key=TechnicalFormat.TAKE_HOME.value,
        title=FORMAT_NAMES[TechnicalFormat.TAKE_HOME.value],
        involves=f"“{assignment.title}”: a real-world scenario to work on by yourself, with starter files. "
        "You read the brief when you start the clock.",
        time=f"{_hours(assignment.time_limit_hours * 60)} from the moment you start, and you choose when: "
        f"start within {assignment.start_within_days} days.",
        meet="Nobody while you work. Engineers from the team grade what you hand in.",
        assessed="Graded against this rubric (the share of the score is shown with each criterion).",
        prepare=f"Set aside {_hours(assignment.time_limit_hours * 60)} of quiet time. You hand in "
        f"{allowed_text(assignment.allowed_types)} files (up to {assignment.max_files}, "
        f"{size_text(assignment.max_file_bytes)} each) or a repository link.",
        criteria=criteria_of(assignment),
    )


def attempt_view(attempt: Attempt, *, now: datetime | None = None) -> AttemptView:
    now = now or utcnow()
    assignment = attempt.assignment
    started = attempt.started_at is not None
    files = (
        tuple(StarterFileView(f.id, f.name, f.size) for f in library.starter_files(assignment.id)) if started else ()
    )
    return AttemptView(
        title=assignment.title,
        status=attempt.status,
        time_limit_hours=attempt.time_limit_minutes / 60,
        extra_minutes=attempt.extension_minutes + attempt.accommodation_minutes,
        start_by=attempt.start_by,
        started_at=attempt.started_at,
        deadline=attempt.deadline,
        can_start=attempt.status == AttemptStatus.NOT_STARTED.value and now <= attempt.start_by,
        start_window_passed=attempt.status == AttemptStatus.NOT_STARTED.value and now > attempt.start_by,
        past_deadline=bool(attempt.deadline and now > attempt.deadline),
        allowed=allowed_text(assignment.allowed_types),
        max_file=size_text(assignment.max_file_bytes),
        max_total=size_text(assignment.max_total_bytes),
        max_files=assignment.max_files,
        late_allowed=assignment.late_submissions_allowed,
        criteria=criteria_of(assignment),
        brief_html=markdown(assignment.brief) if started else None,
        starter_files=files,
        versions=tuple(
            VersionView(v.version, v.submitted_at, v.late, v.file_count, v.total_bytes, v.repository_url)
            for v in submissions.versions_of(attempt.id)
        )
        if started
        else (),
        time_requests=tuple(
            TimeRequestView(r.id, r.kind, r.status, r.reason, r.answer, r.granted_minutes, r.requested_at)
            for r in extra_time.requests_of(attempt.id)
        ),
    )


def technical_screen(application: Application) -> TechnicalScreenView | None:
    """The technical screen of an application at that stage (None at any other stage)."""
    if not screen.at_technical_screen(application):
        return None
    offer = screen.offer_for(application.position_id)
    attempt = screen.open_attempt(application)
    cards = []
    for key in offer.formats:
        cards.append(
            _live_card(application) if key == TechnicalFormat.LIVE.value else _take_home_card(offer.assignment)
        )
    chosen = screen.chosen_format(application)
    return TechnicalScreenView(
        application_id=application.id,
        formats=tuple(cards),
        chosen=chosen,
        chosen_name=FORMAT_NAMES.get(chosen or "", ""),
        lock_reason=screen.lock_reason(application, attempt),
        attempt=attempt_view(attempt) if attempt is not None and chosen == TechnicalFormat.TAKE_HOME.value else None,
    )


def for_candidate_page(application_id: int) -> TechnicalScreenView | None:
    """For the signed-in candidate's own application page.

    The page loaded the application (with its stages and progress) in the same database session just
    before, so the identity map answers without a query; the ownership check is the policy's.
    """
    application = db.session.get(Application, application_id)
    if application is None or not policy.owns_application(current_user, application):
        return None
    return technical_screen(application)


@dataclass(frozen=True)
class StaffTechnicalView:
    screen: TechnicalScreenView
    may_override: bool
    formats: tuple[tuple[str, str], ...]  # what an override may choose: (value, name)


def for_staff_page(application: Application) -> StaffTechnicalView | None:
    """For the staff application page: the choice, the clock, and the override for who runs it."""
    found = technical_screen(application)
    if found is None:
        return None
    has_assignment = screen.offer_for(application.position_id).assignment is not None
    formats = tuple(
        (key, name) for key, name in FORMAT_NAMES.items() if key == TechnicalFormat.LIVE.value or has_assignment
    )
    return StaffTechnicalView(found, policy.runs_application(current_user, application), formats)


def grade_summary(application_id: int):
    """The weighted score and the recommendations of the application's take-home, as plain data (see
    grading_read.GradeSummary); None if nothing was handed in. Callers check submitted_own_grade."""
    from portal.takehome.grading_read import grade_summary as summary

    return summary(application_id)
