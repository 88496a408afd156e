"""Who may call each route: declared on the view, enforced for every request, denied by default.

Every view carries exactly one policy. A request to an endpoint without one is refused, so a
route added without thinking about access fails closed (and fails the route-enumeration test).
Object-level rules ("this candidate owns this application") are the named predicates below,
used by the scoped queries in the services and by templates alike.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from portal.accounts.models import ROLE_VALUES, Role

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
    if not current_user.is_authenticated:
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
        return redirect(url_for("accounts.login"))
    if policy.kind == SIGNED_IN:
        return None
    if policy.kind == CANDIDATE:
        if current_user.is_staff:
            abort(403)
        if not current_user.email_verified:
            return redirect(url_for("accounts.verify_pending"))
        return None
    if policy.kind == STAFF:
        if not current_user.is_staff or not current_user.has_role(*policy.roles):
            abort(403)
        return None
    abort(403)


# Named predicates: the same question asked by queries, services and templates.


def is_candidate(user) -> bool:
    return bool(user and user.is_authenticated and not user.is_staff)


def owns_application(user, application) -> bool:
    return is_candidate(user) and application.candidate_id == user.id


def is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_staff)


def runs_any_pipeline(user) -> bool:
    """Recruiters run every pipeline; hiring managers the pipelines of their positions."""
    return is_staff(user) and user.has_role(Role.RECRUITER, Role.HIRING_MANAGER)


def runs_pipeline_of(user, position) -> bool:
    """Who sees a position's candidates and moves them: recruiters, and the position's hiring
    manager. Admin alone runs none: managing a position's settings does not open its candidates."""
    if not is_staff(user):
        return False
    if user.has_role(Role.RECRUITER):
        return True
    return user.has_role(Role.HIRING_MANAGER) and position.hiring_manager_id == user.id


def manages_position(user, position) -> bool:
    """Who edits and closes a position: admins, and whoever runs its pipeline."""
    return (is_staff(user) and user.has_role(Role.ADMIN)) or runs_pipeline_of(user, position)


def require(predicate: bool) -> None:
    """Refuse with 404 so that the existence of someone else's object is not revealed."""
    if not predicate:
        abort(404)


def register_jinja_tests(app) -> None:
    app.jinja_env.tests.update(
        owns_application=owns_application,
        manages_position=manages_position,
        runs_pipeline_of=runs_pipeline_of,
    )
    app.jinja_env.globals.update(runs_any_pipeline=runs_any_pipeline, Role=Role)

