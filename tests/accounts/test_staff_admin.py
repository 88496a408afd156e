"""Staff accounts: the create-staff command, and the admin pages that list, create, edit and deactivate."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.extensions import db
from tests.helpers import PASSWORD, field_error, is_signed_in, link_in, login, outbox, reloaded

STRONG = "a long staff passphrase"


def create_staff_cli(app, *args):
    return app.test_cli_runner().invoke(args=["create-staff", *args])


def staff_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.is_staff.is_(True)))


def audit(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def sign_in(browser, email: str, password: str = PASSWORD):
    return browser.post("/auth/login", data={"email": email, "password": password})


@pytest.fixture
def admin(factory):
    return factory.staff("admin", name="Alex Admin", email="alex@example.com")


@pytest.fixture
def signed_in_admin(client, admin):
    login(client, admin)
    return admin


def edit(client, person, *, name=None, roles=(), active=True):
    data = {"name": name or person.name, "roles": list(roles)}
    if active:
        data["active"] = "y"
    return client.post(f"/admin/staff/{person.id}", data=data)


# The create-staff command


def test_create_staff_with_a_password_can_sign_in_at_once(app, client):
    result = create_staff_cli(
        app,
        "--email",
        "Alex@Example.com",
        "--name",
        "Alex Admin",
        "--role",
        "admin",
        "--role",
        "recruiter",
        "--password",
        STRONG,
    )
    assert result.exit_code == 0, result.output
    assert "created staff account alex@example.com (admin, recruiter)" in result.output

    alex = reloaded(User.by_email("alex@example.com"))
    assert alex.is_staff and alex.roles == {"admin", "recruiter"} and alex.email_verified
    assert outbox() == []
    assert sign_in(client, "alex@example.com", STRONG).headers["Location"] == "/staff/"
    assert client.get("/admin/staff").status_code == 200
    [entry] = audit("staff.create")
    assert entry.object_id == alex.id and entry.actor_id is None and entry.data["roles"] == ["admin", "recruiter"]


def test_create_staff_without_a_password_mails_an_invitation(app, client):
    result = create_staff_cli(app, "--email", "ian@example.com", "--name", "Ian Interviewer", "--role", "interviewer")
    assert result.exit_code == 0, result.output
    assert "invitation link is in the outbox" in result.output

    [mail] = outbox("invite_staff")
    assert mail.to_addr == "ian@example.com" and mail.subject == "Your Candor staff account"
    path = link_in(mail, "/auth/invite/")
    assert "Welcome, Ian Interviewer" in client.get(path).get_data(as_text=True)
    response = client.post(path, data={"password": STRONG, "confirm": STRONG})
    assert response.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_create_staff_refuses_a_taken_email_whatever_its_case(app, factory):
    factory.candidate("cora@example.com")
    result = create_staff_cli(
        app, "--email", "CORA@example.com", "--name", "Cora", "--role", "admin", "--password", STRONG
    )
    assert result.exit_code != 0
    assert "An account with this email already exists." in result.output
    assert staff_count() == 0
    assert not reloaded(User.by_email("cora@example.com")).is_staff


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--email", "alex@example.com", "--name", "Alex", "--role", "admin", "--password", "short"],
            "Use at least 10 characters.",
        ),
        (["--email", "not-an-email", "--name", "Alex", "--role", "admin"], "--email"),
        (["--email", "alex@example.com", "--name", "Alex", "--role", "superuser"], "superuser"),
        (["--email", "alex@example.com", "--name", "Alex"], "--role"),
    ],
)
def test_create_staff_refuses_bad_options_and_creates_nothing(app, args, message):
    result = create_staff_cli(app, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert staff_count() == 0 and outbox() == []


# The admin pages


def test_the_staff_page_lists_staff_with_their_roles_and_no_candidates(client, signed_in_admin, factory):
    factory.staff("recruiter", "interviewer", name="Rita Recruiter", email="rita@example.com")
    factory.candidate("cora@example.com", name="Cora Candidate")
    page = client.get("/admin/staff").get_data(as_text=True)
    assert "Rita Recruiter" in page and "rita@example.com" in page
    assert "Recruiter, Interviewer" in page
    assert "Alex Admin" in page
    assert "Cora Candidate" not in page and "cora@example.com" not in page


def test_an_admin_creates_staff_with_roles_and_they_get_an_invitation(client, signed_in_admin, new_browser):
    response = client.post(
        "/admin/staff/new",
        data={"name": "Hana Manager", "email": "Hana@Example.com", "roles": ["hiring_manager", "interviewer"]},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/staff"

    hana = reloaded(User.by_email("hana@example.com"))
    assert hana.is_staff and hana.roles == {"hiring_manager", "interviewer"} and hana.password_hash is None
    [mail] = outbox("invite_staff")
    assert mail.to_addr == "hana@example.com" and "Alex Admin created a Candor staff account" in mail.body_text
    [entry] = [e for e in audit("staff.create") if e.object_id == hana.id]
    assert entry.actor_id == signed_in_admin.id and entry.data["roles"] == ["hiring_manager", "interviewer"]

    hana_browser = new_browser()
    path = link_in(mail, "/auth/invite/")
    assert hana_browser.post(path, data={"password": STRONG, "confirm": STRONG}).headers["Location"] == "/staff/"
    assert hana_browser.get("/admin/staff").status_code == 403  # no admin role given


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "Hana", "email": "hana@example.com", "roles": []}, "roles", "Choose at least one role."),
        ({"name": "Hana", "email": "hana@example.com", "roles": ["superuser"]}, "roles", "not a valid choice"),
        ({"name": "Hana", "email": "nope", "roles": ["hr"]}, "email", "Invalid email address."),
        ({"name": "", "email": "hana@example.com", "roles": ["hr"]}, "name", "This field is required."),
        (
            {"name": "Hana", "email": "ALEX@example.com", "roles": ["hr"]},
            "email",
            "An account with this email already exists.",
        ),
    ],
)
def test_bad_staff_input_is_refused_next_to_the_field_and_creates_nothing(
    client, signed_in_admin, data, field, message
):
    response = client.post("/admin/staff/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    if field == "roles":
        assert message in page
    else:
        assert message in field_error(page, field)
    if data["name"]:
        assert f'value="{data["name"]}"' in page
    assert staff_count() == 1 and outbox() == []


def test_an_admin_edits_roles(client, signed_in_admin, factory, new_browser):
    rita = factory.staff("recruiter", name="Rita Recruiter", email="rita@example.com")
    page = client.get(f"/admin/staff/{rita.id}").get_data(as_text=True)
    checked = set(re.findall(r'<input checked [^>]*name="roles" [^>]*value="(\w+)">', page))
    assert checked == {"recruiter"}
    # "required" on each checkbox would make a browser demand every role.
    assert not [tag for tag in re.findall(r'<input [^>]*name="roles"[^>]*>', page) if " required" in tag]

    response = edit(client, rita, roles=["interviewer", "hr"])
    assert response.status_code == 302
    assert reloaded(rita).roles == {"interviewer", "hr"}
    [entry] = audit("staff.update")
    assert entry.actor_id == signed_in_admin.id
    assert entry.data["roles_before"] == ["recruiter"] and entry.data["roles"] == ["hr", "interviewer"]

    rita_browser = new_browser()
    login(rita_browser, rita)
    assert rita_browser.get("/staff/positions").status_code == 403  # recruiter rights are gone


def test_a_deactivated_account_cannot_sign_in_and_its_session_ends(client, signed_in_admin, factory, new_browser):
    rita = factory.staff("recruiter", name="Rita Recruiter", email="rita@example.com")
    rita_browser = new_browser()
    login(rita_browser, rita, remember=True)
    remembered = new_browser()
    remembered.set_cookie("candor_remember", rita_browser.get_cookie("candor_remember").value)

    assert edit(client, rita, roles=["recruiter"], active=False).status_code == 302
    assert not reloaded(rita).active
    assert "Deactivated" in client.get("/admin/staff").get_data(as_text=True)

    assert rita_browser.get("/staff/").headers["Location"].startswith("/auth/login")
    assert remembered.get("/staff/").headers["Location"].startswith("/auth/login")
    response = sign_in(new_browser(), "rita@example.com")
    assert response.status_code == 401
    assert "That email and password do not match an account." in field_error(
        response.get_data(as_text=True), "password"
    )
    [entry] = audit("staff.update")
    assert entry.data["active"] is False


def test_a_reactivated_account_can_sign_in_again(client, signed_in_admin, factory, new_browser):
    rita = factory.staff("recruiter", email="rita@example.com")
    edit(client, rita, roles=["recruiter"], active=False)
    edit(client, rita, roles=["recruiter"], active=True)
    assert sign_in(new_browser(), "rita@example.com").status_code == 302


def test_reactivation_does_not_bring_back_sessions_from_before_deactivation(
    client, signed_in_admin, factory, new_browser
):
    rita = factory.staff("recruiter", email="rita@example.com")
    rita_browser = new_browser()
    login(rita_browser, rita)
    edit(client, rita, roles=["recruiter"], active=False)
    edit(client, rita, roles=["recruiter"], active=True)
    assert not is_signed_in(rita_browser)


def test_a_deactivated_persons_unused_invitation_stops_working(client, signed_in_admin, new_browser):
    client.post("/admin/staff/new", data={"name": "Hana", "email": "hana@example.com", "roles": ["hr"]})
    path = link_in(outbox("invite_staff")[-1], "/auth/invite/")
    hana = User.by_email("hana@example.com")
    edit(client, hana, roles=["hr"], active=False)
    hana_browser = new_browser()
    assert hana_browser.post(path, data={"password": STRONG, "confirm": STRONG}).status_code == 400
    assert reloaded(hana).password_hash is None
    assert not is_signed_in(hana_browser)


def test_an_admin_cannot_remove_their_own_admin_role(client, signed_in_admin):
    response = edit(client, signed_in_admin, roles=["recruiter"])
    assert response.status_code == 422
    assert "You cannot remove your own admin role" in response.get_data(as_text=True)
    assert reloaded(signed_in_admin).roles == {"admin"}
    assert audit("staff.update") == []
    assert client.get("/admin/staff").status_code == 200


def test_an_admin_cannot_deactivate_themselves(client, signed_in_admin):
    response = edit(client, signed_in_admin, roles=["admin"], active=False)
    assert response.status_code == 422
    assert reloaded(signed_in_admin).active
    assert client.get("/admin/staff").status_code == 200


def test_an_admin_may_remove_another_admins_role(client, signed_in_admin, factory):
    other = factory.staff("admin", "recruiter", email="other-admin@example.com")
    assert edit(client, other, roles=["recruiter"]).status_code == 302
    assert reloaded(other).roles == {"recruiter"}


def test_removing_every_role_is_refused(client, signed_in_admin, factory):
    rita = factory.staff("recruiter", email="rita@example.com")
    response = edit(client, rita, roles=[])
    assert response.status_code == 422
    assert "Choose at least one role." in response.get_data(as_text=True)
    assert reloaded(rita).roles == {"recruiter"}


def test_a_hiring_manager_or_recruiter_with_positions_keeps_the_role_until_they_are_handed_over(
    client, signed_in_admin, factory
):
    # Without the role, the positions would still name them while nobody could record their hires.
    morgan = factory.staff("hiring_manager", "interviewer", email="morgan@example.com", name="Morgan Manager")
    rita = factory.staff("recruiter", email="rita@example.com", name="Rita Recruiter")
    factory.position(rita, title="Data Engineer", hiring_manager_id=morgan.id)
    response = edit(client, morgan, roles=["interviewer"])
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Morgan Manager is the hiring manager of Data Engineer: give it another hiring manager first" in page
    assert reloaded(morgan).roles == {"hiring_manager", "interviewer"}
    response = edit(client, rita, roles=["interviewer"])
    assert response.status_code == 422 and "is the recruiter of Data Engineer" in response.get_data(as_text=True)
    assert reloaded(rita).roles == {"recruiter"}
    # Other changes of the same people go through.
    assert edit(client, morgan, roles=["hiring_manager"]).status_code == 302


def test_candidates_are_not_managed_on_the_staff_pages(client, signed_in_admin, factory):
    cora = factory.candidate("cora@example.com")
    assert client.get(f"/admin/staff/{cora.id}").status_code == 404
    assert edit(client, cora, roles=["admin"]).status_code == 404
    assert not reloaded(cora).is_staff
    assert client.get("/admin/staff/999999").status_code == 404


@pytest.mark.parametrize("who", ["candidate", "recruiter", "interviewer", "hiring_manager", "hr"])
def test_only_admins_reach_the_staff_pages(client, factory, admin, who):
    user = factory.candidate("cora@example.com") if who == "candidate" else factory.staff(who)
    login(client, user)
    for path in ("/admin/staff", "/admin/staff/new", f"/admin/staff/{admin.id}"):
        assert client.get(path).status_code == 403, path
    assert (
        client.post(
            "/admin/staff/new", data={"name": "Evil", "email": "evil@example.com", "roles": ["admin"]}
        ).status_code
        == 403
    )
    assert edit(client, admin, roles=["interviewer"], active=False).status_code == 403
    assert User.by_email("evil@example.com") is None
    assert reloaded(admin).roles == {"admin"} and reloaded(admin).active
    assert audit("staff.update") == []


def test_anonymous_visitors_are_sent_to_sign_in(client, admin):
    for path in ("/admin/staff", "/admin/staff/new", f"/admin/staff/{admin.id}"):
        assert client.get(path).headers["Location"].startswith("/auth/login"), path


# At least one active admin always remains


def test_the_last_other_admin_cannot_be_demoted_or_deactivated_by_a_stale_page(client, signed_in_admin, factory):
    # Two admins; the other one demotes this one first (another browser), then this page is sent.
    other = factory.staff("admin", email="other-admin@example.com")
    other_browser = client.application.test_client()
    login(other_browser, other)
    assert edit(other_browser, signed_in_admin, roles=["recruiter"]).status_code == 302

    response = edit(client, other, roles=["recruiter"])
    assert response.status_code == 403  # no longer an admin at all
    assert reloaded(other).roles == {"admin"} and reloaded(other).active


@pytest.mark.parametrize("change", ["demote", "deactivate"])
def test_the_service_refuses_to_leave_no_active_admin(app, factory, change):
    from portal.accounts import services as accounts

    alex = factory.staff("admin", email="alex@example.com")
    blair = factory.staff("admin", email="blair@example.com")
    kwargs = {"roles": ["recruiter"], "active": True} if change == "demote" else {"roles": ["admin"], "active": False}
    accounts.update_staff(alex, blair, name="Blair", **kwargs)
    # Alex, the only admin left, is changed by an actor whose own admin role went meanwhile.
    with pytest.raises(accounts.LastAdmin):
        accounts.update_staff(blair, reloaded(alex), name="Alex", **kwargs)
    assert reloaded(alex).roles == {"admin"} and reloaded(alex).active


def test_the_refusal_is_shown_next_to_the_roles(client, signed_in_admin, factory, monkeypatch):
    from portal.accounts import services as accounts

    other = factory.staff("admin", email="other-admin@example.com")
    monkeypatch.setattr(accounts, "other_active_admins", lambda user: 0)  # as if the actor had just been demoted
    response = edit(client, other, roles=["recruiter"])
    assert response.status_code == 422
    assert "at least one active admin" in response.get_data(as_text=True)
    assert reloaded(other).roles == {"admin"}


@pytest.mark.parametrize("change", ["demote", "deactivate"])
def test_two_admins_removing_each_other_at_once_leave_one_admin(app, factory, monkeypatch, change):
    """Each reads the other as an admin before either writes: the lock makes the second read again."""
    import threading

    from portal.accounts import services as accounts
    from tests.helpers import race

    alex = factory.staff("admin", email="alex@example.com")
    blair = factory.staff("admin", email="blair@example.com")
    pairs = iter([(alex.id, blair.id), (blair.id, alex.id)])
    pick = threading.Lock()
    barrier = threading.Barrier(2, timeout=1)
    count = accounts.other_active_admins

    def count_together(user):
        remaining = count(user)
        try:
            barrier.wait()  # both have counted before either writes
        except threading.BrokenBarrierError:
            pass  # the lock held the other back until the first committed
        return remaining

    monkeypatch.setattr(accounts, "other_active_admins", count_together)
    kwargs = {"roles": ["recruiter"], "active": True} if change == "demote" else {"roles": ["admin"], "active": False}

    def attempt():
        with pick:
            actor_id, target_id = next(pairs)
        actor, target = db.session.get(User, actor_id), db.session.get(User, target_id)
        accounts.update_staff(actor, target, name=target.name, **kwargs)

    assert race(app, 2, attempt, accounts.LastAdmin) == ["done", "refused"]
    db.session.expire_all()
    admins = [
        u for u in (db.session.get(User, alex.id), db.session.get(User, blair.id)) if u.active and "admin" in u.roles
    ]
    assert len(admins) == 1


def test_staff_with_a_non_ascii_local_part_is_refused(client, signed_in_admin):
    response = client.post("/admin/staff/new", data={"name": "Hana", "email": "h\u00e1na@example.com", "roles": ["hr"]})
    assert response.status_code == 422
    assert "only Latin letters" in field_error(response.get_data(as_text=True), "email")
    assert staff_count() == 1


def test_create_staff_command_normalises_a_look_alike_address(app):
    result = create_staff_cli(
        app, "--email", "\uff41lex@example.com", "--name", "Alex", "--role", "admin", "--password", STRONG
    )
    assert result.exit_code == 0, result.output
    assert User.by_email("alex@example.com") is not None


def test_create_staff_command_refuses_a_non_ascii_local_part(app):
    result = create_staff_cli(
        app, "--email", "\u0430lex@example.com", "--name", "Alex", "--role", "admin", "--password", STRONG
    )
    assert result.exit_code != 0
    assert "only Latin letters" in result.output
    assert staff_count() == 0
