"""Who may call each route: declared on the view, enforced for every request, denied by default.

Every view carries exactly one policy. A request to an endpoint without one is refused, so a
route added without thinking about access fails closed (and fails the route-enumeration test).
Object-level rules ("this candidate owns this application") are the named predicates below,
used by the scoped queries in the services and by templates alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import ColumnElement, and_, exists, false, not_, or_, select, true

from portal.accounts.models import ROLE_VALUES, Role
from portal.extensions import db
from portal.hiring.models import Application, PanelMember, Position
from portal.takehome.models import Attempt, Grade, GradeStatus

PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed_in"  # any signed-in account, candidate or staff
CANDIDATE = "candidate"  # a signed-in candidate with a verified email; objects scoped to them
STAFF = "staff"  # a staff account holding one of `roles`


@dataclass(frozen=True)
class Policy:
    kind: str
    roles: frozenset[str] = field(default_factory=frozenset)
    # For candidate routes: the object the candidate must own (documented for the access test).
    owns: str | None = None
    # For staff routes on a position's objects: hiring managers only reach their own positions.
    scoped_to_position: bool = False

    def describe(self) -> str:
        if self.kind == STAFF:
            return f"staff({', '.join(sorted(self.roles))})"
        return self.kind + (f"(owns {self.owns})" if self.owns else "")


def _declare(view, policy: Policy):
    if hasattr(view, "access_policy"):
        raise RuntimeError(f"{view.__name__} declares two access policies")
    view.access_policy = policy
    return view


def public(view):
    return _declare(view, Policy(PUBLIC))


def signed_in(view):
    return _declare(view, Policy(SIGNED_IN))


def candidate(owns: str | None = None):
    def decorator(view):
        return _declare(view, Policy(CANDIDATE, owns=owns))

    return decorator


def staff(*roles: Role | str, scoped_to_position: bool = False):
    names = frozenset(r.value if isinstance(r, Role) else r for r in roles)
    unknown = names - set(ROLE_VALUES)
    if not names or unknown:
        raise ValueError(f"staff() needs known roles, got {sorted(names)}")

    def decorator(view):
        return _declare(view, Policy(STAFF, roles=names, scoped_to_position=scoped_to_position))

    return decorator


def policy_of(endpoint: str | None) -> Policy | None:
    view = current_app.view_functions.get(endpoint) if endpoint else None
    return getattr(view, "access_policy", None)


def enforce() -> None:
    """before_request hook: apply the declared policy of the matched endpoint."""
    if request.endpoint is None:  # no route matched: let the 404/405 handlers answer
        return None
    policy = policy_of(request.endpoint)
    if policy is None:
        current_app.logger.error("endpoint %s has no access policy; refused", request.endpoint)
        abort(403)
    if policy.kind == PUBLIC:
        return None
    user = current_user._get_current_object()  # once: each use of the proxy looks the user up again
    if not user.is_authenticated:
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        return redirect(url_for("accounts.login"))
    if policy.kind == SIGNED_IN:
        return None
    if policy.kind == CANDIDATE:
        if user.is_staff:
            abort(403)
        if not user.email_verified:
            return redirect(url_for("accounts.verify_pending"))
        return None
    if policy.kind == STAFF:
        if not user.is_staff or not user.has_role(*policy.roles):
            abort(403)
        return None
    abort(403)


def may_open(user, endpoint: str) -> bool:
    """Whether `user` passes the declared policy of `endpoint` (before any object-level check):
    what menus and links ask, so they follow the same declaration as the route itself."""
    declared = policy_of(endpoint)
    if declared is None:
        return False
    if declared.kind == PUBLIC:
        return True
    if not (user and user.is_authenticated):
        return False
    if declared.kind == SIGNED_IN:
        return True
    if declared.kind == CANDIDATE:
        return not user.is_staff
    if declared.kind == STAFF:
        return bool(user.is_staff and user.has_role(*declared.roles))
    return False


# Named predicates: the same question asked by queries, services and templates.
#
# An object rule answers for one object (`rule(user, obj)`) and, as `rule.where(user)`, gives the SQL
# condition that selects exactly the objects it allows, so a list query and a single page can never
# disagree about who sees what.


@dataclass(frozen=True)
class Rule:
    name: str
    model: type
    check: Callable[[object, object], bool]
    condition: Callable[[object], ColumnElement[bool]]

    def __call__(self, user, obj) -> bool:
        return bool(obj is not None and self.check(user, obj))

    def where(self, user) -> ColumnElement[bool]:
        return self.condition(user)

    def __or__(self, other: Rule) -> Rule:
        if other.model is not self.model:
            raise TypeError(f"{self.name} and {other.name} are about different objects")
        return Rule(
            f"{self.name} | {other.name}",
            self.model,
            lambda user, obj: self.check(user, obj) or other.check(user, obj),
            lambda user: or_(self.condition(user), other.condition(user)),
        )


def is_candidate(user) -> bool:
    return bool(user and user.is_authenticated and not user.is_staff)


def is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_staff)


def is_admin(user) -> bool:
    return is_staff(user) and user.has_role(Role.ADMIN)


def _position_runner_condition(user) -> ColumnElement[bool]:
    if not is_staff(user):
        return false()
    conditions = []
    if user.has_role(Role.RECRUITER):
        conditions.append(Position.recruiter_id == user.id)
    if user.has_role(Role.HIRING_MANAGER):
        conditions.append(Position.hiring_manager_id == user.id)
    return or_(*conditions) if conditions else false()


def _runs_position(user, position) -> bool:
    if not is_staff(user):
        return False
    return (user.has_role(Role.RECRUITER) and position.recruiter_id == user.id) or (
        user.has_role(Role.HIRING_MANAGER) and position.hiring_manager_id == user.id
    )


# Staff holding a role on the position: its recruiter or its hiring manager. They see its candidates
# and move them. Admin alone runs none: managing a position's settings does not open its candidates.
runs_position = Rule("runs_position", Position, _runs_position, _position_runner_condition)

# The same, asked of one of the position's applications.
runs_application = Rule(
    "runs_application",
    Application,
    lambda user, application: _runs_position(user, application.position),
    lambda user: Application.position_id.in_(select(Position.id).where(_position_runner_condition(user))),
)

# A candidate owns their applications.
owns_application = Rule(
    "owns_application",
    Application,
    lambda user, application: is_candidate(user) and application.candidate_id == user.id,
    lambda user: Application.candidate_id == user.id if is_candidate(user) else false(),
)


def _panel_condition(user) -> ColumnElement[bool]:
    if not is_staff(user):
        return false()
    return exists().where(PanelMember.application_id == Application.id, PanelMember.user_id == user.id)


def _on_panel(user, application) -> bool:
    if not is_staff(user):
        return False
    return (
        db.session.scalar(
            select(exists().where(PanelMember.application_id == application.id, PanelMember.user_id == user.id))
        )
        or False
    )


# Interviewers (and graders) see the applications whose panel they are on, and no other.
on_interview_panel = Rule("on_interview_panel", Application, _on_panel, _panel_condition)

# Who opens a staff application page.
sees_application = runs_application | on_interview_panel


def _scorecards_condition(user) -> ColumnElement[bool]:
    # Imported here: the feedback models sit above scheduling, which sits above this module's models.
    from portal.feedback.models import Scorecard, ScorecardStatus
    from portal.scheduling.models import Interview, InterviewStatus

    if not is_staff(user):
        return false()
    submitted = ScorecardStatus.SUBMITTED.value
    # An interview of theirs that happened or is still to come, without their submitted scorecard: until
    # it has one they judge alone (a no-show or a cancelled interview asks for none).
    outstanding = exists().where(
        Interview.application_id == Application.id,
        Interview.interviewer_id == user.id,
        Interview.status.in_((InterviewStatus.BOOKED.value, InterviewStatus.COMPLETED.value)),
        not_(
            exists().where(
                Scorecard.interview_id == Interview.id,
                Scorecard.interviewer_id == user.id,
                Scorecard.status == submitted,
            )
        ),
    )
    own_submitted = exists().where(
        Scorecard.application_id == Application.id, Scorecard.interviewer_id == user.id, Scorecard.status == submitted
    )
    runs = Application.position_id.in_(select(Position.id).where(_position_runner_condition(user)))
    return and_(not_(outstanding), or_(runs, and_(_panel_condition(user), own_submitted)))


def _sees_scorecards(user, application) -> bool:
    if not is_staff(user):
        return False
    return (
        db.session.scalar(select(exists().where(Application.id == application.id, _scorecards_condition(user))))
        or False
    )


# Independence: the scorecards (and later the grades and votes) of an application are open to whoever
# runs it or sits on its panel, and to an interviewer only once their own scorecard for every interview
# of theirs in it is submitted; a recruiter or hiring manager who interviews waits the same way. Pages,
# downloads and exports all ask this one rule.
submitted_own_scorecard = Rule("submitted_own_scorecard", Application, _sees_scorecards, _scorecards_condition)


def _grader_condition(user, *, submitted: bool | None = None) -> ColumnElement[bool]:
    if not is_staff(user):
        return false()
    conditions = [Grade.attempt_id == Attempt.id, Grade.grader_id == user.id]
    if submitted is not None:
        status = Grade.status == GradeStatus.SUBMITTED.value
        conditions.append(status if submitted else not_(status))
    return exists().where(*conditions)


def _is_grader(user, attempt, *, submitted: bool | None = None) -> bool:
    if not is_staff(user):
        return False
    conditions = [Grade.attempt_id == attempt.id, Grade.grader_id == user.id]
    if submitted is not None:
        status = Grade.status == GradeStatus.SUBMITTED.value
        conditions.append(status if submitted else not_(status))
    return db.session.scalar(select(exists().where(*conditions))) or False


# A grader is assigned to one take-home (an Attempt): that opens its grading page, its files, its
# brief and rubric, and nothing else of the application (not the staff application page).
grades_submission = Rule(
    "grades_submission", Attempt, lambda user, attempt: _is_grader(user, attempt), lambda user: _grader_condition(user)
)


def _grades_condition(user) -> ColumnElement[bool]:
    if not is_staff(user):
        return false()
    runs = Attempt.application_id.in_(
        select(Application.id).where(
            Application.position_id.in_(select(Position.id).where(_position_runner_condition(user)))
        )
    )
    outstanding = _grader_condition(user, submitted=False)
    return and_(not_(outstanding), or_(runs, _grader_condition(user, submitted=True)))


def _sees_grades(user, attempt) -> bool:
    if not is_staff(user):
        return False
    if _is_grader(user, attempt, submitted=False):
        return False
    if _is_grader(user, attempt, submitted=True):
        return True
    application = db.session.get(Application, attempt.application_id)
    return _runs_position(user, application.position) if application is not None else False


# Independence for take-homes: the grades of a take-home are open to who runs its application, and to
# a grader only once their own grade is submitted; a recruiter or hiring manager who also grades it
# waits the same way. The staff application page, the grading page and grade_summary's callers ask it.
submitted_own_grade = Rule("submitted_own_grade", Attempt, _sees_grades, _grades_condition)

# Who edits and closes a position: admins, and whoever runs it.
manages_position = Rule(
    "manages_position",
    Position,
    lambda user, position: is_admin(user) or _runs_position(user, position),
    lambda user: true() if is_admin(user) else _position_runner_condition(user),
)


def runs_any_pipeline(user) -> bool:
    """Recruiters and hiring managers run pipelines (of the positions they hold a role on)."""
    return is_staff(user) and user.has_role(Role.RECRUITER, Role.HIRING_MANAGER)


def require(predicate: bool) -> None:
    """Refuse with 404 so that the existence of someone else's object is not revealed."""
    if not predicate:
        abort(404)


def register_jinja_tests(app) -> None:
    app.jinja_env.tests.update(
        owns_application=owns_application,
        manages_position=manages_position,
        runs_position=runs_position,
        runs_application=runs_application,
        on_interview_panel=on_interview_panel,
        submitted_own_scorecard=submitted_own_scorecard,
        grades_submission=grades_submission,
        submitted_own_grade=submitted_own_grade,
        admin=is_admin,
    )
    app.jinja_env.globals.update(runs_any_pipeline=runs_any_pipeline, Role=Role)
