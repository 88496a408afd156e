"""A small world for the access tests: two candidates, one staff account per role, one position.

Every route of the portal is called against it; `URL_ARGS` says what goes into each URL
variable, and a route with a variable it does not know makes the tests fail until it is taught.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.extensions import db
from portal.security import policy
from tests.helpers import login

ANONYMOUS = "anonymous"
CANDIDATE_A = "candidate A"  # owns application a1
CANDIDATE_B = "candidate B"  # owns nothing of A's
UNVERIFIED = "unverified candidate"
OTHER_HM = "hiring manager of another position"
STAFF_ROLES = tuple(r.value for r in Role)
IDENTITIES = (ANONYMOUS, CANDIDATE_A, CANDIDATE_B, UNVERIFIED, *STAFF_ROLES, OTHER_HM)
CANDIDATES = (CANDIDATE_A, CANDIDATE_B, UNVERIFIED)

# Methods every rule answers by itself; the policy is about the methods a view declares.
AUTOMATIC_METHODS = {"HEAD", "OPTIONS"}


@dataclass
class World:
    users: dict[str, User]
    position: object
    other_position: object
    a1: object
    clients: dict[str, object] = field(default_factory=dict)

    def user(self, who: str) -> User:
        return self.users[who]


# What to put into each URL variable. A new variable name must be added here on purpose.
URL_ARGS = {
    "application_id": lambda w: w.a1.id,
    "position_id": lambda w: w.position.id,
    "user_id": lambda w: w.users[Role.INTERVIEWER.value].id,
    "token": lambda w: "garbage-token-that-matches-nothing",
    "provider": lambda w: "oidc",
    "filename": lambda w: "css/portal.css",
}


def build_world(factory) -> World:
    staff = {role: factory.staff(role, name=f"{role} person", email=f"{role}@staff.example") for role in STAFF_ROLES}
    other_hm = factory.staff(Role.HIRING_MANAGER.value, name="Other manager", email="other-hm@staff.example")
    recruiter = staff[Role.RECRUITER.value]
    position = factory.position(recruiter, title="Backend Engineer",
                                hiring_manager_id=staff[Role.HIRING_MANAGER.value].id, recruiter_id=recruiter.id)
    other_position = factory.position(recruiter, title="Designer", hiring_manager_id=other_hm.id)
    a = factory.candidate("a@cand.example", name="Ada A")
    b = factory.candidate("b@cand.example", name="Bo B")
    unverified = factory.candidate("u@cand.example", name="Uma Unverified", verified=False)
    a1 = factory.application(a, position, actor=recruiter, advances=1)
    from portal.hiring import services as hiring

    # The interviewer and HR interview Ada: they are on her panel, and on no other.
    for role in (Role.INTERVIEWER.value, Role.HR.value):
        hiring.add_to_panel(recruiter, a1, staff[role])
    users = {CANDIDATE_A: a, CANDIDATE_B: b, UNVERIFIED: unverified, OTHER_HM: other_hm, **staff}
    return World(users=users, position=position, other_position=other_position, a1=a1)


def sign_in_everyone(app, world: World, identities=IDENTITIES) -> None:
    """One client per identity, signed in once through the real form."""
    for who in identities:
        client = app.test_client()
        if who != ANONYMOUS:
            login(client, world.users[who])
        world.clients[who] = client


def routes(app):
    """(rule, method) for every rule of the URL map and every method its view declares."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - AUTOMATIC_METHODS):
            found.append((rule, method))
    return sorted(found, key=lambda rm: (rm[0].rule, rm[1]))


def url_for_rule(rule, world: World, overrides: dict | None = None) -> str:
    values = {}
    for name in sorted(rule.arguments):
        if overrides and name in overrides:
            values[name] = overrides[name]
            continue
        if name not in URL_ARGS:
            pytest.fail(
                f"{rule.rule} has a URL variable <{name}> the access tests do not know: "
                f"add it to URL_ARGS in tests/security/world.py with a value from the test world"
            )
        values[name] = URL_ARGS[name](world)
    _, path = rule.build(values, append_unknown=False)
    return path


def policy_of_rule(app, rule) -> policy.Policy | None:
    return getattr(app.view_functions.get(rule.endpoint), "access_policy", None)


# The outcomes a policy implies for an identity.
PUBLIC_OK = "public: neither refused nor sent to sign in"
LOGIN = "redirect to sign in"
FORBIDDEN = "403"
NOT_FOUND = "404"
VERIFY = "redirect to email verification"
ALLOWED = "allowed"


def expected(pol: policy.Policy, who: str) -> str:
    if pol.kind == policy.PUBLIC:
        return PUBLIC_OK
    if who == ANONYMOUS:
        return LOGIN
    if pol.kind == policy.SIGNED_IN:
        return ALLOWED
    if pol.kind == policy.CANDIDATE:
        if who not in CANDIDATES:
            return FORBIDDEN
        if who == UNVERIFIED:
            return VERIFY
        if who == CANDIDATE_B and pol.owns:
            return NOT_FOUND  # A's object, by B: it does not exist for B
        return ALLOWED
    if pol.kind == policy.STAFF:
        if who in CANDIDATES:
            return FORBIDDEN
        held = {Role.HIRING_MANAGER.value} if who == OTHER_HM else {who}
        if not held & pol.roles:
            return FORBIDDEN
        if who == OTHER_HM and pol.scoped_to_position:
            return NOT_FOUND
        return ALLOWED
    raise AssertionError(f"unknown policy kind {pol.kind}")


# What an allowed request may answer: a page, a redirect, or a validation/domain refusal.
ALLOWED_STATUSES = set(range(200, 400)) | {400, 409, 422}


def location_path(response) -> str:
    return urlsplit(response.headers.get("Location", "")).path


def is_login_redirect(response) -> bool:
    return response.status_code in (301, 302, 303, 307, 308) and location_path(response) == "/auth/login"


def check(outcome: str, response, method: str, path: str) -> str | None:
    """None when `response` is what `outcome` promises, else what went wrong."""
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if outcome == PUBLIC_OK:
        if status == 403 or is_login_redirect(response):
            return f"public route answered {status} {response.headers.get('Location', '')}"
        return None
    if outcome == LOGIN:
        if not is_login_redirect(response):
            return f"expected a redirect to sign in, got {status} {response.headers.get('Location', '')}"
        if method == "GET":
            wanted = parse_qs(urlsplit(response.headers["Location"]).query).get("next")
            if wanted != [path]:
                return f"sign-in redirect should come back to {path}, next={wanted}"
        return None
    if outcome == VERIFY:
        if status != 302 or location_path(response) != "/auth/verify":
            return f"expected a redirect to /auth/verify, got {status} {response.headers.get('Location', '')}"
        return None
    if outcome == FORBIDDEN:
        return None if status == 403 else f"expected 403, got {status} {response.headers.get('Location', '')}"
    if outcome == NOT_FOUND:
        return None if status == 404 else f"expected 404, got {status} {response.headers.get('Location', '')}"
    if outcome == ALLOWED:
        if status not in ALLOWED_STATUSES:
            return f"expected access, got {status}"
        # (The verification pages themselves send people to /auth/verify as their normal answer.)
        sent_to_verify = location_path(response) == "/auth/verify" and not path.startswith("/auth/verify")
        if is_login_redirect(response) or sent_to_verify:
            return f"expected access, got sent to {response.headers['Location']}"
        return None
    raise AssertionError(outcome)


def table_snapshot() -> dict[str, list[str]]:
    """Every row of every table, to show that a refused request changed nothing."""
    db.session.rollback()
    snapshot = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table)).all()
        snapshot[table.name] = sorted(repr(tuple(row)) for row in rows)
    db.session.rollback()
    return snapshot


def signed_in_user_id(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")
