"""Every route declares an access policy, and the policies keep their promises.

What each identity gets from each route is checked against a hand-written table in
test_route_table.py; here: declarations exist, are well-formed, and hold in the cases that matter.
"""

from __future__ import annotations

import pytest
from flask import Flask

from portal.accounts.models import Role
from portal.extensions import db
from portal.security import policy
from tests.helpers import login
from tests.security.world import (
    ANONYMOUS,
    CANDIDATE_A,
    CANDIDATE_B,
    IDENTITIES,
    OTHER_HM,
    build_world,
    policy_of_rule,
    sign_in_everyone,
)


def test_every_endpoint_declares_an_access_policy(app):
    missing = [
        f"{rule.rule} -> {rule.endpoint}" for rule in app.url_map.iter_rules() if policy_of_rule(app, rule) is None
    ]
    assert not missing, "endpoints without @policy.*: " + ", ".join(missing)


def test_candidate_routes_on_an_application_declare_ownership(app):
    careless = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if (pol := policy_of_rule(app, rule))
        and pol.kind == policy.CANDIDATE
        and "application_id" in rule.arguments
        and pol.owns != "application"
    ]
    assert not careless, f"candidate routes on an application without owns='application': {careless}"


def test_staff_routes_on_a_position_or_application_are_scoped_to_the_position(app):
    careless = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if (pol := policy_of_rule(app, rule))
        and pol.kind == policy.STAFF
        and rule.arguments & {"position_id", "application_id"}
        and not pol.scoped_to_position
    ]
    assert not careless, f"staff routes on a position's objects without scoped_to_position: {careless}"


def test_an_undeclared_route_is_refused_for_everyone(make_app, factory):
    app: Flask = make_app()
    with app.app_context():
        app.add_url_rule("/undeclared", "undeclared", lambda: "secret page")
        recruiter = factory.staff(Role.RECRUITER.value, Role.ADMIN.value)
        anonymous = app.test_client()
        signed_in = app.test_client()
        login(signed_in, recruiter)
        for client in (anonymous, signed_in):
            response = client.get("/undeclared")
            assert response.status_code == 403
            assert "secret page" not in response.get_data(as_text=True)


def test_a_view_cannot_declare_two_policies():
    with pytest.raises(RuntimeError):
        policy.public(policy.signed_in(lambda: None))


def test_staff_policy_needs_known_roles():
    with pytest.raises(ValueError):
        policy.staff()
    with pytest.raises(ValueError):
        policy.staff("superuser")


def test_candidate_cannot_open_another_candidates_application(app, factory):
    world = build_world(factory)
    sign_in_everyone(app, world, identities=(CANDIDATE_A, CANDIDATE_B))
    own = world.clients[CANDIDATE_A].get(f"/applications/{world.a1.id}")
    other = world.clients[CANDIDATE_B].get(f"/applications/{world.a1.id}")
    assert own.status_code == 200
    assert other.status_code == 404
    assert "Ada A" not in other.get_data(as_text=True)


def test_hiring_manager_reaches_only_their_own_positions(app, factory):
    world = build_world(factory)
    sign_in_everyone(app, world, identities=(Role.HIRING_MANAGER.value, OTHER_HM))
    owner, other = world.clients[Role.HIRING_MANAGER.value], world.clients[OTHER_HM]
    for path in (
        f"/staff/positions/{world.position.id}/pipeline",
        f"/staff/applications/{world.a1.id}",
        f"/staff/positions/{world.position.id}/edit",
    ):
        assert owner.get(path).status_code == 200, path
        assert other.get(path).status_code == 404, path
    listing = other.get("/staff/positions").get_data(as_text=True)
    assert "Designer" in listing and "Backend Engineer" not in listing


def test_admin_manages_staff_and_positions_but_not_pipelines(app, factory):
    world = build_world(factory)
    sign_in_everyone(app, world, identities=(Role.ADMIN.value,))
    admin = world.clients[Role.ADMIN.value]
    assert admin.get("/admin/staff").status_code == 200
    assert admin.get(f"/staff/positions/{world.position.id}/edit").status_code == 200
    assert admin.get(f"/staff/positions/{world.position.id}/pipeline").status_code == 403
    assert admin.get(f"/staff/applications/{world.a1.id}").status_code == 403


def test_admin_who_is_also_a_hiring_manager_sees_only_their_own_pipelines(app, factory):
    world = build_world(factory)
    both = factory.staff(Role.ADMIN.value, Role.HIRING_MANAGER.value, email="admin-hm@staff.example")
    client = app.test_client()
    login(client, both)
    assert client.get(f"/staff/applications/{world.a1.id}").status_code == 404
    pipeline = client.get(f"/staff/positions/{world.position.id}/pipeline")
    assert pipeline.status_code == 404
    assert "Ada A" not in pipeline.get_data(as_text=True)


def test_anonymous_visitor_is_sent_to_sign_in_and_back(app, factory):
    world = build_world(factory)
    client = app.test_client()
    response = client.get(f"/applications/{world.a1.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/auth/login?next=/applications/{world.a1.id}"
    back = client.post(
        response.headers["Location"], data={"email": "a@cand.example", "password": "correct horse battery"}
    )
    assert back.headers["Location"] == f"/applications/{world.a1.id}"
    assert client.get(back.headers["Location"]).status_code == 200


def test_staff_cannot_use_candidate_pages(app, factory):
    world = build_world(factory)
    sign_in_everyone(app, world, identities=(Role.RECRUITER.value,))
    recruiter = world.clients[Role.RECRUITER.value]
    assert recruiter.get("/dashboard").status_code == 403
    assert recruiter.get(f"/applications/{world.a1.id}").status_code == 403
    assert recruiter.post(f"/applications/{world.a1.id}/withdraw").status_code == 403
    db.session.expire_all()  # requests run in their own session: read what they committed
    assert world.a1.status == "active"


def test_signed_in_candidate_b_sees_no_trace_of_a_in_any_page(app, factory):
    world = build_world(factory)
    sign_in_everyone(app, world, identities=(CANDIDATE_B,))
    client = world.clients[CANDIDATE_B]
    for path in (
        "/dashboard",
        f"/positions/{world.position.id}",
        f"/applications/{world.a1.id}",
        f"/applications/{world.a1.id}/cv",
    ):
        body = client.get(path).get_data(as_text=True)
        assert "Ada A" not in body and "a@cand.example" not in body, path


def test_identities_cover_every_role():
    assert set(Role) <= {Role(i) for i in IDENTITIES if i in {r.value for r in Role}}
    assert ANONYMOUS in IDENTITIES
