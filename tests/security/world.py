"""A small world for the access tests: two candidates, one staff account per role, one position.

Every route of the portal is called against it; `URL_ARGS` says what goes into each URL
variable, and a route with a variable it does not know makes the tests fail until it is taught.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
OFF_PANEL = "interviewer on no panel"
STAFF_ROLES = tuple(r.value for r in Role)
IDENTITIES = (ANONYMOUS, CANDIDATE_A, CANDIDATE_B, UNVERIFIED, *STAFF_ROLES, OTHER_HM, OFF_PANEL)
CANDIDATES = (CANDIDATE_A, CANDIDATE_B, UNVERIFIED)

# Methods every rule answers by itself; the policy is about the methods a view declares.
AUTOMATIC_METHODS = {"HEAD", "OPTIONS"}


@dataclass
class World:
    users: dict[str, User]
    position: object
    other_position: object
    a1: object
    assignment: object = None
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
    "group_id": lambda w: "no-such-booking",
    "interview_id": lambda w: 1,
    "request_id": lambda w: 1,
    "assignment_id": lambda w: w.assignment.id,
    # No file has this id: a real one would be deleted by the first identity allowed to post.
    "file_id": lambda w: 999_999,
    "version": lambda w: 1,
    "scorecard_id": lambda w: 999_999,
    "kind_key": lambda w: "coding",
    # A take-home's grading code: this one is well formed and names no take-home.
    "code": lambda w: "TH-2345AB",
    "number": lambda w: 1,
    # a1's current stage (the recruiter screen): staff may write its feedback, the candidate not rate it yet.
    "stage_id": lambda w: w.a1.stage_id,
}


def build_world(factory) -> World:
    staff = {role: factory.staff(role, name=f"{role} person", email=f"{role}@staff.example") for role in STAFF_ROLES}
    other_hm = factory.staff(Role.HIRING_MANAGER.value, name="Other manager", email="other-hm@staff.example")
    off_panel = factory.staff(Role.INTERVIEWER.value, name="Off-panel interviewer", email="off-panel@staff.example")
    recruiter = staff[Role.RECRUITER.value]
    position = factory.position(
        recruiter,
        title="Backend Engineer",
        hiring_manager_id=staff[Role.HIRING_MANAGER.value].id,
        recruiter_id=recruiter.id,
    )
    other_position = factory.position(recruiter, title="Designer", hiring_manager_id=other_hm.id)
    a = factory.candidate("a@cand.example", name="Ada A")
    b = factory.candidate("b@cand.example", name="Bo B")
    unverified = factory.candidate("u@cand.example", name="Uma Unverified", verified=False)
    a1 = factory.application(a, position, actor=recruiter, advances=1)
    from portal.hiring import services as hiring

    # The interviewer and HR interview Ada: they are on her panel, and on no other.
    for role in (Role.INTERVIEWER.value, Role.HR.value):
        hiring.add_to_panel(recruiter, a1, staff[role])
    users = {CANDIDATE_A: a, CANDIDATE_B: b, UNVERIFIED: unverified, OTHER_HM: other_hm, OFF_PANEL: off_panel, **staff}
    from portal.takehome import library

    # One assignment in the library, offered by the position's technical screen.
    assignment = library.create_assignment(
        staff[Role.HIRING_MANAGER.value],
        [library.Criterion("Diagnosis", "Finds the cause.", 1)],
        title="Diagnose the crash",
        brief="Our app crashes under this input.",
        allowed_types=["zip"],
        max_file_bytes=1024 * 1024,
        max_total_bytes=1024 * 1024,
        max_files=1,
        time_limit_hours=4,
        start_within_days=7,
    )
    library.set_position_offer(recruiter, position, formats="both", assignment_id=assignment.id)
    return World(users=users, position=position, other_position=other_position, a1=a1, assignment=assignment)


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
