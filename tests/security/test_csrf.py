"""Every POST endpoint refuses a request without a CSRF token with 400, and changes nothing.

The endpoints come from the URL map. Each is sent by someone its policy admits, with form data
that would succeed if the token were there (the control test sends the same with a token).
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from portal.accounts import services as accounts
from portal.accounts.models import Role, TokenPurpose
from portal.extensions import db
from portal.security import policy
from tests.helpers import PASSWORD, PDF
from tests.security.world import (
    ANONYMOUS,
    CANDIDATE_A,
    CANDIDATE_B,
    UNVERIFIED,
    build_world,
    policy_of_rule,
    routes,
    sign_in_everyone,
    signed_in_user_id,
    table_snapshot,
    url_for_rule,
)

NEW_PASSWORD = "a brand new password 42"


def _sender(pol: policy.Policy, endpoint: str) -> str:
    """Someone the endpoint's policy lets through."""
    if pol.kind == policy.PUBLIC:
        return CANDIDATE_A if endpoint == "accounts.logout" else ANONYMOUS
    if pol.kind == policy.SIGNED_IN:
        return UNVERIFIED if endpoint == "accounts.resend_verification" else CANDIDATE_A
    if pol.kind == policy.CANDIDATE:
        return CANDIDATE_A if pol.owns else CANDIDATE_B
    for role in (Role.RECRUITER.value, Role.ADMIN.value, *sorted(pol.roles)):
        if role in pol.roles:
            return role
    raise AssertionError(pol)


def _tokens(world) -> dict[str, str]:
    """Live one-time tokens, so the password pages would accept the form."""
    a = world.users[CANDIDATE_A]
    reset = accounts.issue_token(a, TokenPurpose.RESET_PASSWORD, timedelta(hours=1))
    invited = accounts.invite_candidate(world.users[Role.RECRUITER.value], name="Ivy Invited", email="ivy@cand.example")
    invite = accounts.issue_token(invited, TokenPurpose.INVITE, timedelta(days=1))
    db.session.commit()
    return {"accounts.reset_password": reset, "accounts.accept_invite": invite}


def _form(endpoint: str, world) -> dict:
    """Form data that the endpoint would accept: the token is the only thing missing."""
    position = world.position
    hm = world.users[Role.HIRING_MANAGER.value]
    recruiter = world.users[Role.RECRUITER.value]
    position_fields = {
        "team": "Platform",
        "status": "open",
        "reapply_cooldown_months": "6",
        "sla_days": "5",
        "hiring_manager_id": str(hm.id),
        "recruiter_id": str(recruiter.id),
    }
    forms = {
        "accounts.signup": {
            "name": "Mallory New",
            "email": "mallory@cand.example",
            "password": NEW_PASSWORD,
            "timezone": "UTC",
        },
        "accounts.login": {"email": "a@cand.example", "password": PASSWORD},
        "accounts.request_reset": {"email": "a@cand.example"},
        "accounts.reset_password": {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        "accounts.accept_invite": {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        "accounts.change_password": {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        "accounts.invite_candidate": {"name": "Nia New", "email": "nia@cand.example", "position_id": str(position.id)},
        "admin.new_staff": {"name": "Nat New", "email": "nat@staff.example", "roles": "interviewer"},
        # No "active" box: this would deactivate the interviewer.
        "admin.edit_staff": {"name": "Renamed Interviewer", "roles": "interviewer"},
        "candidate.apply": {"cv": (io.BytesIO(PDF), "cv.pdf"), "motivation": "I want this job."},
        "staff.new_position": {"title": "Forged Position", **position_fields},
        "staff.edit_position": {"title": "Renamed Position", **position_fields},
        "staff.reject": {"feedback": "Not this time.", "stage_id": str(_current_stage(world))},
        "staff.advance": {"stage_id": str(_current_stage(world))},
        "staff.close_position": {"applications": "continue"},
    }
    return forms.get(endpoint, {})


def _current_stage(world) -> int:
    """The stage the application is at now, as a page opened now would show it."""
    from portal.hiring.models import Application

    db.session.expire_all()
    return db.session.get(Application, world.a1.id).stage_id


def _post_routes(app, world, tokens):
    found = []
    for rule, method in routes(app):
        if method != "POST":
            continue
        pol = policy_of_rule(app, rule)
        assert pol is not None, rule.rule
        overrides = {"token": tokens[rule.endpoint]} if rule.endpoint in tokens else None
        found.append((rule, pol, url_for_rule(rule, world, overrides)))
    return found


def test_every_post_without_csrf_token_is_refused_and_changes_nothing(app, factory):
    world = build_world(factory)
    tokens = _tokens(world)
    sign_in_everyone(app, world)
    posts = _post_routes(app, world, tokens)
    assert len(posts) >= 15, "fewer POST endpoints than expected: is the URL map complete?"
    before = table_snapshot()
    failures = []
    for rule, pol, path in posts:
        who = _sender(pol, rule.endpoint)
        client = world.clients[who]
        signed_in_as = signed_in_user_id(client)
        response = client.post(path, data=_form(rule.endpoint, world), csrf=False, content_type="multipart/form-data")
        body = response.get_data(as_text=True)
        if response.status_code != 400:
            failures.append(f"POST {path} as {who}: {response.status_code} instead of 400")
        elif "Candor" not in body or "form expired" not in body:
            failures.append(f"POST {path} as {who}: 400 without the portal's own page")
        if signed_in_user_id(client) != signed_in_as:
            failures.append(f"POST {path} as {who}: the session changed (signed in or out)")
        after = table_snapshot()
        changed = sorted(t for t in before if before[t] != after[t])
        if changed:
            failures.append(f"POST {path} as {who}: changed {changed}")
            before = after
    assert not failures, "\n".join(failures)


# The same requests with a token do change something: the refusal above was the token's doing.
CONTROL = (
    "accounts.login",
    "accounts.signup",
    "accounts.request_reset",
    "accounts.reset_password",
    "accounts.accept_invite",
    "accounts.invite_candidate",
    "admin.new_staff",
    "admin.edit_staff",
    "candidate.apply",
    "staff.new_position",
    "staff.edit_position",
    "staff.advance",
    "staff.reject",
    "candidate.withdraw",
    "staff.close_position",
)


def test_the_same_posts_with_a_token_go_through(app, factory):
    world = build_world(factory)
    tokens = _tokens(world)
    sign_in_everyone(app, world)
    posts = {rule.endpoint: (rule, pol, path) for rule, pol, path in _post_routes(app, world, tokens)}
    failures = []
    for endpoint in CONTROL:
        if endpoint not in posts:
            failures.append(f"{endpoint} is no longer a POST route: update CONTROL")
            continue
        rule, pol, path = posts[endpoint]
        who = _sender(pol, endpoint)
        if endpoint == "candidate.withdraw":
            who = CANDIDATE_B  # A's application was rejected above; B applied meanwhile
            path = path.replace(f"/{world.a1.id}/", "/" + str(_b_application_id(world)) + "/")
        client = app.test_client() if who == ANONYMOUS else world.clients[who]  # sign-in above used one
        before = table_snapshot()
        response = client.post(path, data=_form(endpoint, world), content_type="multipart/form-data")
        if response.status_code >= 400:
            failures.append(f"POST {path} as {who} with a token: {response.status_code}")
        elif table_snapshot() == before:
            failures.append(f"POST {path} as {who} with a token changed nothing")
    assert not failures, "\n".join(failures)


def _b_application_id(world) -> int:
    from sqlalchemy import select

    from portal.hiring.models import Application

    db.session.rollback()
    return db.session.scalar(select(Application.id).where(Application.candidate_id == world.users[CANDIDATE_B].id))


def test_a_token_from_another_session_is_refused(app, factory):
    world = build_world(factory)
    sign_in_everyone(app, world, identities=(Role.RECRUITER.value, Role.HIRING_MANAGER.value))
    stolen = world.clients[Role.HIRING_MANAGER.value].csrf_token()
    before = table_snapshot()
    response = world.clients[Role.RECRUITER.value].post(
        f"/staff/applications/{world.a1.id}/advance", data={"csrf_token": stolen}
    )
    assert response.status_code == 400
    assert table_snapshot() == before


@pytest.mark.parametrize("token", ["", "not-a-token", "ImFiYyI.invalid.signature"])
def test_a_forged_token_is_refused(client, factory, token):
    candidate = factory.candidate("f@cand.example")
    before = table_snapshot()
    response = client.post("/auth/login", data={"email": candidate.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 400
    assert signed_in_user_id(client) is None
    assert table_snapshot() == before
