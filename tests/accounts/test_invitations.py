"""Staff invite candidates by email; the one-time link sets a password and signs the candidate in."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.extensions import db
from tests.helpers import PASSWORD, field_error, is_signed_in, link_in, login, outbox, reloaded

CHOSEN = "my own new passphrase"


def invite(client, email: str = "ivy@example.com", name: str = "Ivy Invited", position=None):
    return client.post(
        "/auth/invitations/new", data={"name": name, "email": email, "position_id": getattr(position, "id", 0)}
    )


def invite_link(index: int = -1) -> str:
    return link_in(outbox("invite")[index], "/auth/invite/")


def accept(client, path: str, password: str = CHOSEN, confirm: str | None = None):
    return client.post(path, data={"password": password, "confirm": password if confirm is None else confirm})


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


@pytest.fixture
def recruiter(factory):
    return factory.staff("recruiter", name="Rita Recruiter", email="rita@example.com")


@pytest.fixture
def signed_in_recruiter(client, recruiter):
    login(client, recruiter)
    return recruiter


def test_a_recruiter_invites_a_candidate_by_email(client, signed_in_recruiter):
    assert client.get("/auth/invitations/new").status_code == 200
    response = invite(client, email="Ivy@Example.com")
    assert response.status_code == 302
    assert "Invitation sent to ivy@example.com." in client.get(response.headers["Location"]).get_data(as_text=True)

    ivy = User.by_email("ivy@example.com")
    assert ivy.is_candidate and ivy.name == "Ivy Invited"
    assert ivy.password_hash is None and not ivy.email_verified
    [mail] = outbox("invite")
    assert mail.to_addr == "ivy@example.com"
    assert mail.subject == "You are invited to Candor"
    assert "Rita Recruiter invited you" in mail.body_text
    assert invite_link().startswith("/auth/invite/")


def test_an_invitation_for_a_position_names_it(client, signed_in_recruiter, factory):
    position = factory.position(title="Site Reliability Engineer", team="Infra")
    assert invite(client, position=position).status_code == 302
    [mail] = outbox("invite")
    assert mail.subject == "You are invited to apply for Site Reliability Engineer"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.invite"))
    assert entry.data["position_id"] == position.id


def test_the_form_offers_only_open_positions_and_refuses_others(client, signed_in_recruiter, factory):
    factory.position(title="Open Role")
    draft = factory.position(title="Secret Draft Role", status="draft")
    page = client.get("/auth/invitations/new").get_data(as_text=True)
    assert "Open Role" in page and "Secret Draft Role" not in page
    response = invite(client, position=draft)
    assert response.status_code == 422
    assert "Not a valid choice" in field_error(response.get_data(as_text=True), "position_id")
    assert outbox("invite") == []


def test_accepting_sets_a_password_verifies_the_email_and_signs_in(client, signed_in_recruiter, new_browser):
    invite(client)
    ivy_browser = new_browser()
    path = invite_link()
    page = ivy_browser.get(path)
    assert page.status_code == 200
    assert "Welcome, Ivy Invited" in page.get_data(as_text=True)

    response = accept(ivy_browser, path)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert ivy_browser.get("/dashboard").status_code == 200  # verified: candidate pages open

    ivy = reloaded(User.by_email("ivy@example.com"))
    assert ivy.email_verified and ivy.password_hash.startswith("$argon2id$")
    login(new_browser(), "ivy@example.com", CHOSEN)


def test_an_invitation_link_works_once(client, signed_in_recruiter, new_browser):
    invite(client)
    path = invite_link()
    assert accept(new_browser(), path).status_code == 302

    attacker = new_browser()
    assert attacker.get(path).status_code == 400
    response = accept(attacker, path, password="attacker's own password")
    assert response.status_code == 400
    assert "This link does not work" in response.get_data(as_text=True)
    assert not is_signed_in(attacker)
    login(new_browser(), "ivy@example.com", CHOSEN)


def test_an_invitation_link_expires(client, signed_in_recruiter, new_browser, clock, app):
    invite(client)
    path = invite_link()
    clock.advance(days=app.config["INVITE_TOKEN_DAYS"], seconds=1)
    assert accept(new_browser(), path).status_code == 400
    assert reloaded(User.by_email("ivy@example.com")).password_hash is None


def test_accepting_with_a_weak_or_mismatched_password_changes_nothing(client, signed_in_recruiter, new_browser):
    invite(client)
    path = invite_link()
    ivy_browser = new_browser()
    weak = accept(ivy_browser, path, password="short")
    assert weak.status_code == 422
    assert "Use at least 10 characters." in field_error(weak.get_data(as_text=True), "password")
    mismatch = accept(ivy_browser, path, confirm="something else")
    assert mismatch.status_code == 422
    assert "The two passwords differ." in field_error(mismatch.get_data(as_text=True), "confirm")
    assert reloaded(User.by_email("ivy@example.com")).password_hash is None
    assert accept(ivy_browser, path).status_code == 302


def test_inviting_again_voids_the_earlier_link_at_once(client, signed_in_recruiter, new_browser):
    invite(client)
    invite(client)
    first, second = invite_link(0), invite_link(1)
    assert user_count() == 2  # the recruiter and one candidate, not two
    assert new_browser().get(first).status_code == 400  # one live invitation per address
    assert accept(new_browser(), first).status_code == 400
    assert reloaded(User.by_email("ivy@example.com")).password_hash is None
    assert accept(new_browser(), second).status_code == 302


def test_an_address_gets_at_most_three_invitations_a_day(client, signed_in_recruiter, factory, clock):
    answers = [invite(client) for _ in range(12)]
    assert [r.status_code for r in answers] == [302] * 3 + [422] * 9
    page = answers[-1].get_data(as_text=True)
    assert "This address was invited 3 times in the last 24 hours" in field_error(page, "email")
    assert 'value="ivy@example.com"' in page and 'value="Ivy Invited"' in page
    assert len(outbox("invite")) == 3
    live = [path for path in (invite_link(i) for i in range(3)) if client.get(path).status_code == 200]
    assert live == [invite_link(2)]

    # Another recruiter cannot go around it, and an existing account is protected alike.
    other = factory.staff("recruiter", email="other-recruiter@example.com")
    other_browser = client.application.test_client()
    login(other_browser, other)
    assert invite(other_browser).status_code == 422
    factory.candidate("cora@example.com")
    assert [invite(client, email="cora@example.com").status_code for _ in range(4)] == [302, 302, 302, 422]
    assert len(outbox("invite_existing")) == 3

    clock.advance(hours=25)
    assert invite(client).status_code == 302


def test_a_sender_is_limited_per_hour(client, signed_in_recruiter, clock):
    from portal.accounts import services as accounts

    sent = [
        invite(client, email=f"person{i}@example.com").status_code
        for i in range(accounts.INVITES_PER_SENDER_PER_HOUR + 1)
    ]
    assert sent == [302] * accounts.INVITES_PER_SENDER_PER_HOUR + [422]
    response = invite(client, email="one-more@example.com")
    assert "invitations in the last hour" in field_error(response.get_data(as_text=True), "email")
    assert User.by_email("one-more@example.com") is None
    clock.advance(hours=1, minutes=1)
    assert invite(client, email="one-more@example.com").status_code == 302


def test_inviting_a_look_alike_address_reaches_the_same_person(client, signed_in_recruiter):
    invite(client, email="ivy@example.com")
    assert invite(client, email="\uff49vy@example.com").status_code == 302  # fullwidth i
    assert user_count() == 2
    assert {m.to_addr for m in outbox("invite")} == {"ivy@example.com"}


def test_inviting_a_non_ascii_local_part_is_refused(client, signed_in_recruiter):
    response = invite(client, email="\u0456vy@example.com")  # Cyrillic i
    assert response.status_code == 422
    assert "only Latin letters" in field_error(response.get_data(as_text=True), "email")
    assert user_count() == 1 and outbox() == []


def test_an_invitation_name_with_a_direction_override_is_refused(client, signed_in_recruiter):
    response = invite(client, name="Ivy \u202eevil")
    assert response.status_code == 422
    assert "direction-changing" in field_error(response.get_data(as_text=True), "name")
    assert outbox() == []


@pytest.mark.parametrize("spelling", ["boss@example.com", "BOSS@Example.com "])
def test_inviting_a_staff_email_is_refused_with_a_message(client, signed_in_recruiter, factory, spelling):
    boss = factory.staff("admin", email="boss@example.com")
    response = invite(client, email=spelling)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This email belongs to a staff account." in field_error(page, "email")
    assert 'value="Ivy Invited"' in page
    assert outbox("invite") == []
    assert reloaded(boss).is_staff and reloaded(boss).password_hash


def test_bad_invitation_input_is_refused_next_to_the_field(client, signed_in_recruiter):
    response = invite(client, email="not-an-email", name="")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Invalid email address." in field_error(page, "email")
    assert "This field is required." in field_error(page, "name")
    assert 'value="not-an-email"' in page
    assert user_count() == 1 and outbox() == []


@pytest.mark.parametrize("roles", [("hiring_manager",), ("admin",)])
def test_hiring_managers_and_admins_may_invite(client, factory, roles):
    login(client, factory.staff(*roles))
    assert invite(client).status_code == 302
    assert len(outbox("invite")) == 1


@pytest.mark.parametrize("who", ["candidate", "unverified candidate", "interviewer", "hr"])
def test_candidates_and_interviewers_cannot_invite(client, factory, who):
    user = {
        "candidate": lambda: factory.candidate("cora@example.com"),
        "unverified candidate": lambda: factory.candidate("cora@example.com", verified=False),
        "interviewer": lambda: factory.staff("interviewer"),
        "hr": lambda: factory.staff("hr"),
    }[who]()
    login(client, user)
    assert client.get("/auth/invitations/new").status_code == 403
    assert invite(client).status_code == 403
    assert outbox("invite") == []
    assert User.by_email("ivy@example.com") is None


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    assert client.get("/auth/invitations/new").headers["Location"].startswith("/auth/login")
    assert invite(client).headers["Location"].startswith("/auth/login")
    assert outbox("invite") == []


def test_accepting_while_signed_in_as_someone_else_switches_to_the_invitee(client, signed_in_recruiter, new_browser):
    invite(client)
    path = invite_link()
    response = accept(client, path)  # the recruiter's browser, e.g. testing the link
    assert response.headers["Location"] == "/dashboard"
    assert "Ivy Invited" in client.get("/dashboard").get_data(as_text=True)


def test_invitation_and_acceptance_are_audited(client, signed_in_recruiter, new_browser):
    invite(client)
    accept(new_browser(), invite_link())
    ivy = User.by_email("ivy@example.com")
    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_id == ivy.id, AuditEntry.object_type == "users")
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.actor_id) for e in entries][:2] == [
        ("user.invite", signed_in_recruiter.id),
        ("user.accept_invite", ivy.id),
    ]


def test_an_existing_candidates_password_keeps_working_after_an_invitation(
    client, signed_in_recruiter, factory, new_browser
):
    cora = factory.candidate("cora@example.com")
    invite(client, email="cora@example.com", name="Cora")
    assert len(outbox("invite_existing")) == 1
    login(new_browser(), cora, PASSWORD)


def test_inviting_someone_who_already_has_an_account_sends_no_password_link(app, client, factory):
    recruiter = factory.staff("recruiter")
    existing = factory.candidate("known@example.com", name="Known Person")
    position = factory.position(recruiter, title="Platform Engineer")
    login(client, recruiter)
    response = client.post(
        "/auth/invitations/new", data={"name": "Known", "email": "known@example.com", "position_id": str(position.id)}
    )
    assert response.status_code == 302
    assert outbox("invite") == []
    (mail,) = outbox("invite_existing")
    assert "Platform Engineer" in mail.subject and f"/positions/{position.id}" in mail.body_text
    assert "/auth/invite/" not in mail.body_text
    assert reloaded(existing).password_hash == existing.password_hash
