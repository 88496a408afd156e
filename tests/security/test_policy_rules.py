"""Each access rule answers the same for one object as the SQL filter does for a list."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.hiring.models import Application, Position
from portal.security import policy
from tests.security.world import IDENTITIES, ANONYMOUS, CANDIDATE_A, OTHER_HM, build_world

OBJECT_RULES = [
    policy.owns_application,
    policy.runs_application,
    policy.on_interview_panel,
    policy.sees_application,
    policy.runs_position,
    policy.manages_position,
]


def _allowed(rule, user) -> tuple[set[int], set[int]]:
    """(ids the one-object check allows, ids the SQL filter selects)."""
    objects = db.session.scalars(select(rule.model)).unique().all()
    by_check = {o.id for o in objects if rule(user, o)}
    by_sql = set(db.session.scalars(select(rule.model.id).where(rule.where(user))))
    return by_check, by_sql


def test_every_rule_allows_the_same_objects_as_its_sql_filter(app, factory):
    world = build_world(factory)
    # More objects than the world has: a second application of B, and one on the other position.
    factory.application(world.users["candidate B"], world.position, actor=world.users["recruiter"])
    factory.application(world.users[CANDIDATE_A], world.other_position, actor=world.users["recruiter"])
    checked = 0
    for who in IDENTITIES:
        if who == ANONYMOUS:
            continue
        user = world.user(who)
        for rule in OBJECT_RULES:
            by_check, by_sql = _allowed(rule, user)
            assert by_check == by_sql, f"{rule.name} for {who}: check {sorted(by_check)} != SQL {sorted(by_sql)}"
            checked += 1
    assert checked == (len(IDENTITIES) - 1) * len(OBJECT_RULES)


def test_interviewers_see_only_applications_whose_panel_they_are_on(app, factory):
    world = build_world(factory)
    interviewer = world.user("interviewer")
    other = factory.application(world.users["candidate B"], world.position, actor=world.users["recruiter"])
    assert policy.on_interview_panel(interviewer, world.a1)
    assert not policy.on_interview_panel(interviewer, other)
    visible = set(db.session.scalars(select(Application.id).where(policy.sees_application.where(interviewer))))
    assert visible == {world.a1.id}
    # Being on a panel opens the application, not the right to move it.
    assert not policy.runs_application(interviewer, world.a1)


def test_staff_run_only_positions_they_hold_a_role_on(app, factory):
    world = build_world(factory)
    unassigned_recruiter = factory.staff("recruiter", email="another-recruiter@staff.example")
    assert policy.runs_position(world.user("recruiter"), world.position)
    assert not policy.runs_position(unassigned_recruiter, world.position)
    assert not policy.runs_position(world.user(OTHER_HM), world.position)
    assert not policy.runs_position(world.user("admin"), world.position)
    assert policy.manages_position(world.user("admin"), world.position)
    assert set(db.session.scalars(select(Position.id).where(policy.manages_position.where(world.user("admin"))))) == {
        world.position.id,
        world.other_position.id,
    }


def test_candidates_match_only_their_own_applications(app, factory):
    world = build_world(factory)
    assert policy.owns_application(world.user(CANDIDATE_A), world.a1)
    assert not policy.owns_application(world.user("candidate B"), world.a1)
    # Staff never "own" an application, even with the candidate's id.
    assert not policy.owns_application(world.user("recruiter"), world.a1)
