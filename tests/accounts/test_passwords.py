"""Passwords: how they are stored, sign-in failures, the reset link and changing a password."""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from portal import config
from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.extensions import db
from tests.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    Factory,
    change_password,
    field_error,
    is_signed_in,
    link_in,
    login,
    outbox,
    reloaded,
)

GENERIC_FAILURE = "That email and password do not match an account."


def sign_in(client, email: str, password: str):
    return client.post("/auth/login", data={"email": email, "password": password})


def request_reset(client, email: str):
    return client.post("/auth/reset", data={"email": email})


def reset_link(index: int = -1) -> str:
    return link_in(outbox("reset_password")[index], "/auth/reset/")


def choose(client, path: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    return client.post(path, data={"password": password, "confirm": password if confirm is None else confirm})


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# Storage


def test_the_stored_hash_is_not_the_password_and_uses_argon2id(factory):
    candidate = factory.candidate("ada@example.com")
    stored = reloaded(candidate).password_hash
    assert PASSWORD not in stored
    assert stored.startswith("$argon2id$")
    # Salted: the same password gives another hash for another account.
    assert reloaded(factory.candidate("grace@example.com")).password_hash != stored


def _argon2_parameters(stored: str) -> dict[str, int]:
    """{"m": KiB, "t": passes, "p": lanes} from "$argon2id$v=19$m=...,t=...,p=...$salt$hash"."""
    return {key: int(value) for key, value in (part.split("=") for part in stored.split("$")[3].split(","))}


def test_production_hashes_are_argon2id_with_at_least_owasps_parameters(make_app):
    production_default = config.load(env={})["PASSWORD_HASH_PARAMETERS"]
    app = make_app(PASSWORD_HASH_PARAMETERS=production_default)
    with app.app_context():
        stored = accounts.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$v=19$")
    cost = _argon2_parameters(stored)
    # OWASP's minimum for argon2id: 19 MiB of memory, 2 passes, 1 lane.
    assert cost["m"] >= 19 * 1024 and cost["t"] >= 2 and cost["p"] >= 1, cost


@pytest.mark.parametrize("method", ["scrypt:1024:8:1", "pbkdf2:sha256:1000"])
def test_a_hash_from_before_argon2_still_signs_in_and_is_replaced_by_argon2id(client, factory, new_browser, method):
    candidate = factory.candidate("ada@example.com")
    candidate.password_hash = generate_password_hash(PASSWORD, method=method)
    db.session.commit()
    version = candidate.session_version

    assert sign_in(client, candidate.email, PASSWORD).status_code == 302
    upgraded = reloaded(candidate)
    assert upgraded.password_hash.startswith("$argon2id$")
    assert upgraded.session_version == version  # the same password: nobody is signed out
    assert "user.upgrade_password_hash" in audit_actions()
    assert is_signed_in(client)
    assert sign_in(new_browser(), candidate.email, PASSWORD).status_code == 302
    assert sign_in(new_browser(), candidate.email, "not the password at all").status_code == 401


def test_a_wrong_password_leaves_an_old_hash_as_it_was(client, factory):
    candidate = factory.candidate("ada@example.com")
    candidate.password_hash = old = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
    db.session.commit()
    assert sign_in(client, candidate.email, "not the password at all").status_code == 401
    assert reloaded(candidate).password_hash == old


def test_a_hash_with_older_argon2_parameters_is_redone_with_todays_at_sign_in(make_app):
    with make_app().app_context():
        email = Factory().candidate("ada@example.com").email
    stronger = {"time_cost": 2, "memory_cost": 16, "parallelism": 1}
    app = make_app(PASSWORD_HASH_PARAMETERS=stronger)
    with app.app_context():
        before = User.by_email(email).password_hash
        assert _argon2_parameters(before) == {"m": 8, "t": 1, "p": 1}
        assert sign_in(app.test_client(), email, PASSWORD).status_code == 302
        assert _argon2_parameters(reloaded(User.by_email(email)).password_hash) == {"m": 16, "t": 2, "p": 1}


def test_an_unknown_email_takes_as_long_as_a_wrong_password(make_app):
    """A real argon2 verification either way, so timing does not tell which emails have accounts."""
    app = make_app(PASSWORD_HASH_PARAMETERS={"time_cost": 2, "memory_cost": 32 * 1024, "parallelism": 1})
    with app.app_context():
        Factory().candidate("ada@example.com")
        client = app.test_client()
        timings = {"ada@example.com": [], "nobody@example.com": []}
        for _ in range(5):
            for email, seen in timings.items():
                started = time.perf_counter()
                assert sign_in(client, email, "not the password at all").status_code == 401
                seen.append(time.perf_counter() - started)
    known, unknown = (statistics.median(timings[e]) for e in ("ada@example.com", "nobody@example.com"))
    assert 0.5 < unknown / known < 2, timings


def test_no_more_passwords_are_hashed_at_once_than_configured(make_app, monkeypatch):
    """Argon2 releases the GIL: unbounded, a burst of sign-ups would take every core from page views."""
    from portal.accounts import hashing

    inside, most = 0, 0
    lock = threading.Lock()

    class WatchedHasher(hashing.PasswordHasher):
        def hash(self, password, **kwargs):
            nonlocal inside, most
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.05)  # long enough for the other threads to arrive
            try:
                return super().hash(password, **kwargs)
            finally:
                with lock:
                    inside -= 1

    monkeypatch.setattr(hashing, "PasswordHasher", WatchedHasher)
    app = make_app(PASSWORD_HASH_CONCURRENCY=1)

    def hash_one():
        with app.app_context():
            hashing.hash_password("a passphrase to hash")

    threads = [threading.Thread(target=hash_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert most == 1


# Signing in


def test_a_wrong_password_is_refused_with_a_generic_message(client, factory):
    candidate = factory.candidate("ada@example.com")
    response = sign_in(client, candidate.email, "not the password at all")
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert GENERIC_FAILURE in field_error(page, "password")
    assert 'value="ada@example.com"' in page  # the email is kept, the password is not
    assert "not the password at all" not in page
    assert not is_signed_in(client)


def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(client, factory):
    factory.candidate("ada@example.com")
    wrong = sign_in(client, "ada@example.com", "not the password at all")
    unknown = sign_in(client, "nobody@example.com", "not the password at all")
    assert unknown.status_code == wrong.status_code == 401
    assert field_error(unknown.get_data(as_text=True), "password") == field_error(
        wrong.get_data(as_text=True), "password"
    )


def test_an_account_without_a_password_cannot_be_signed_into(client, factory):
    """An invited candidate who has not chosen a password yet: no empty password gets in."""
    recruiter = factory.staff("recruiter")
    accounts.invite_candidate(recruiter, name="Ivy Invited", email="ivy@example.com")
    for password in ("", " ", "None"):
        assert sign_in(client, "ivy@example.com", password).status_code in (401, 422)
    assert not is_signed_in(client)


def test_sign_in_ignores_the_case_and_spaces_of_the_email(client, factory):
    factory.candidate("ada@example.com")
    assert sign_in(client, "  ADA@Example.com ", PASSWORD).status_code == 302
    assert is_signed_in(client)


def test_an_unverified_candidate_can_sign_in_and_is_asked_to_verify(client, factory):
    candidate = factory.candidate("ada@example.com", verified=False)
    login(client, candidate)
    assert client.get("/dashboard").headers["Location"] == "/auth/verify"


# Reset by email


def test_a_reset_request_for_an_unknown_email_looks_the_same_and_sends_nothing(client, factory):
    factory.candidate("ada@example.com")
    known = request_reset(client, "ada@example.com")
    unknown = request_reset(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True).replace("ada@example.com", "X") == unknown.get_data(as_text=True).replace(
        "nobody@example.com", "X"
    )
    assert [m.to_addr for m in outbox("reset_password")] == ["ada@example.com"]


def test_a_reset_request_with_a_malformed_email_is_refused_next_to_the_field(client):
    response = request_reset(client, "not-an-email")
    assert response.status_code == 422
    assert "Invalid email address." in field_error(response.get_data(as_text=True), "email")
    assert outbox() == []


def test_the_reset_link_sets_the_new_password_and_signs_in(client, factory, new_browser):
    candidate = factory.candidate("ada@example.com")
    request_reset(client, candidate.email)
    path = reset_link()
    form = client.get(path)
    assert form.status_code == 200 and "ada@example.com" in form.get_data(as_text=True)

    response = choose(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert is_signed_in(client)
    assert [m.to_addr for m in outbox("password_changed")] == ["ada@example.com"]

    other = new_browser()
    assert sign_in(other, candidate.email, PASSWORD).status_code == 401
    assert sign_in(other, candidate.email, NEW_PASSWORD).status_code == 302


def test_opening_the_reset_link_does_not_use_it_up(client, factory):
    """Mail scanners open links; only choosing a password spends the link."""
    candidate = factory.candidate("ada@example.com")
    request_reset(client, candidate.email)
    path = reset_link()
    assert client.get(path).status_code == 200
    assert client.get(path).status_code == 200
    assert choose(client, path).status_code == 302


def test_the_reset_link_works_once(client, factory, new_browser):
    candidate = factory.candidate("ada@example.com")
    request_reset(client, candidate.email)
    path = reset_link()
    assert choose(client, path).status_code == 302

    attacker = new_browser()
    assert attacker.get(path).status_code == 400
    response = choose(attacker, path, password="attacker's own password")
    assert response.status_code == 400
    assert "This link does not work" in response.get_data(as_text=True)
    assert not is_signed_in(attacker)
    assert sign_in(new_browser(), candidate.email, NEW_PASSWORD).status_code == 302


def test_an_older_reset_link_stops_working_once_the_password_is_reset(client, factory):
    candidate = factory.candidate("ada@example.com")
    request_reset(client, candidate.email)
    request_reset(client, candidate.email)
    older, newer = reset_link(0), reset_link(1)
    assert choose(client, newer).status_code == 302
    assert client.get(older).status_code == 400


@pytest.mark.parametrize(("minutes", "waited", "works"), [(60, 59, True), (60, 61, False), (5, 4, True), (5, 6, False)])
def test_the_reset_link_expires_after_reset_token_minutes(make_app, clock, minutes, waited, works):
    app = make_app(RESET_TOKEN_MINUTES=minutes)
    with app.app_context():
        from tests.helpers import Factory

        candidate = Factory().candidate("ada@example.com")
        before = candidate.password_hash
        browser = app.test_client()
        request_reset(browser, candidate.email)
        path = reset_link()
        assert f"for {minutes} minutes" in outbox("reset_password")[-1].body_text
        clock.advance(minutes=waited)
        response = choose(browser, path)
        assert response.status_code == (302 if works else 400)
        hash_changed = reloaded(candidate).password_hash != before
        assert hash_changed is works


def test_a_password_reset_signs_out_every_other_session(client, factory, new_browser):
    candidate = factory.candidate("ada@example.com")
    login(client, candidate)
    assert is_signed_in(client)

    owner = new_browser()
    request_reset(owner, candidate.email)
    assert choose(owner, reset_link()).status_code == 302

    assert not is_signed_in(client)  # the old session cookie no longer works
    assert is_signed_in(owner)


def test_a_reset_with_mismatched_or_weak_passwords_changes_nothing_and_keeps_the_link(client, factory):
    candidate = factory.candidate("ada@example.com")
    before = candidate.password_hash
    request_reset(client, candidate.email)
    path = reset_link()

    mismatch = choose(client, path, confirm="something else entirely")
    assert mismatch.status_code == 422
    assert "The two passwords differ." in field_error(mismatch.get_data(as_text=True), "confirm")

    weak = choose(client, path, password="short")
    assert weak.status_code == 422
    assert "Use at least 10 characters." in field_error(weak.get_data(as_text=True), "password")

    assert reloaded(candidate).password_hash == before
    assert choose(client, path).status_code == 302


def test_a_reset_link_cannot_be_used_to_accept_an_invitation(client, factory):
    candidate = factory.candidate("ada@example.com")
    request_reset(client, candidate.email)
    raw = reset_link().rsplit("/", 1)[1]
    assert client.get(f"/auth/invite/{raw}").status_code == 400
    assert choose(client, f"/auth/invite/{raw}").status_code == 400


def test_two_simultaneous_uses_of_one_reset_link_let_exactly_one_through(app, factory, monkeypatch):
    """Both requests find the link unused; the conditional update lets only one of them spend it."""
    candidate = factory.candidate("ada@example.com")
    email = candidate.email
    accounts.request_password_reset(email)
    raw = reset_link().rsplit("/", 1)[1]
    db.session.remove()

    both_looked = threading.Barrier(2, timeout=10)
    real_peek = accounts.peek_token

    def peek_then_wait(*args):
        token = real_peek(*args)
        both_looked.wait()
        return token

    monkeypatch.setattr(accounts, "peek_token", peek_then_wait)
    outcomes = []

    def attempt(password):
        with app.app_context():
            try:
                accounts.reset_password(raw, password)
                outcomes.append(password)
            except accounts.InvalidToken:
                outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(p,)) for p in ("first passphrase!", "second passphrase!")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(outcomes) == 2 and outcomes.count("refused") == 1, outcomes
    [winner] = [o for o in outcomes if o != "refused"]
    assert accounts.authenticate(email, winner) is not None
    assert len(outbox("password_changed")) == 1


def test_a_deactivated_staff_account_gets_no_reset_link(client, factory):
    admin = factory.staff("admin")
    rita = factory.staff("recruiter", email="rita@example.com")
    accounts.update_staff(admin, rita, name=rita.name, roles=["recruiter"], active=False)
    request_reset(client, "rita@example.com")
    assert outbox("reset_password") == []


def test_a_reset_link_mailed_before_deactivation_stops_working(client, factory):
    admin = factory.staff("admin")
    rita = factory.staff("recruiter", email="rita@example.com")
    request_reset(client, "rita@example.com")
    path = reset_link()
    accounts.update_staff(admin, rita, name=rita.name, roles=["recruiter"], active=False)
    assert client.get(path).status_code == 400
    assert choose(client, path).status_code == 400
    assert not is_signed_in(client)


# Changing the password while signed in


def test_changing_the_password_needs_the_current_one(client, factory):
    candidate = factory.candidate("ada@example.com")
    before = candidate.password_hash
    login(client, candidate)
    response = change_password(client, current="a wrong current password")
    assert response.status_code == 422
    assert "The current password is not correct." in field_error(response.get_data(as_text=True), "current")
    assert reloaded(candidate).password_hash == before
    assert outbox("password_changed") == []


def test_changing_the_password_with_a_mismatched_confirmation_changes_nothing(client, factory):
    candidate = factory.candidate("ada@example.com")
    before = candidate.password_hash
    login(client, candidate)
    response = client.post(
        "/auth/password", data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"}
    )
    assert response.status_code == 422
    assert "The two passwords differ." in field_error(response.get_data(as_text=True), "confirm")
    assert reloaded(candidate).password_hash == before


def test_changing_the_password_signs_out_other_sessions_and_keeps_this_one(client, factory, new_browser):
    candidate = factory.candidate("ada@example.com")
    login(client, candidate)
    other = new_browser()
    login(other, candidate)

    response = change_password(client)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert is_signed_in(client)
    assert not is_signed_in(other)
    assert [m.to_addr for m in outbox("password_changed")] == ["ada@example.com"]
    assert sign_in(new_browser(), candidate.email, PASSWORD).status_code == 401
    assert sign_in(new_browser(), candidate.email, NEW_PASSWORD).status_code == 302


def test_the_password_page_needs_a_signed_in_account(client):
    assert client.get("/auth/password").headers["Location"].startswith("/auth/login")
    assert change_password(client).headers["Location"].startswith("/auth/login")


def test_reset_and_change_of_password_are_audited(client, factory):
    candidate = factory.candidate("ada@example.com")
    request_reset(client, candidate.email)
    choose(client, reset_link())
    change_password(client, current=NEW_PASSWORD, new="yet another passphrase")
    actions = audit_actions()
    for action in ("user.request_reset", "user.reset_password", "user.change_password"):
        assert action in actions
    changes = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.in_(["user.reset_password", "user.change_password"]))
    ).all()
    assert {(e.object_id, e.actor_id) for e in changes} == {(candidate.id, candidate.id)}
    # A failed attempt is not recorded as a change.
    change_password(client, current="wrong wrong wrong", new="and another one!")
    assert audit_actions().count("user.change_password") == 1


# Choosing a password: long enough is not enough, it must also be hard to guess

GUESSABLE = ["aaaaaaaaaa", "1234567890", "password12", "qwertyuiop", "Password123!"]
TOO_EASY = "This password is too easy to guess."


def signup(client, password: str, *, name: str = "Ada Lovelace", email: str = "ada.lovelace@example.com"):
    return client.post("/auth/signup", data={"name": name, "email": email, "password": password, "timezone": "UTC"})


@pytest.mark.parametrize("weak", GUESSABLE)
def test_a_common_or_guessable_password_is_refused_at_sign_up_with_advice(client, weak):
    response = signup(client, weak)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    message = field_error(page, "password")
    advice = message.split(TOO_EASY, 1)[1]
    assert len(advice) > 10  # says why, or what to do instead
    assert 'value="ada.lovelace@example.com"' in page and 'value="Ada Lovelace"' in page
    assert User.by_email("ada.lovelace@example.com") is None


@pytest.mark.parametrize("personal", ["adalovelace2026", "ada.lovelace!!", "AdaLovelace!", "lovelace1234"])
def test_a_password_made_of_ones_own_name_or_email_is_refused(client, personal):
    response = signup(client, personal)
    assert response.status_code == 422 and TOO_EASY in field_error(response.get_data(as_text=True), "password")
    assert signup(client, "quiet lantern orchard").status_code == 302


def test_a_guessable_password_is_refused_at_reset_and_the_link_still_works(client, factory):
    candidate = factory.candidate("ada@example.com")
    before = candidate.password_hash
    request_reset(client, candidate.email)
    path = reset_link()
    for weak in ("password12", "ada@example.com2"):
        response = choose(client, path, password=weak)
        assert response.status_code == 422
        assert TOO_EASY in field_error(response.get_data(as_text=True), "password"), weak
    assert reloaded(candidate).password_hash == before
    assert choose(client, path).status_code == 302


def test_a_guessable_password_is_refused_when_accepting_an_invitation(client, factory):
    accounts.invite_candidate(factory.staff("recruiter"), name="Ivy Invited", email="ivy@example.com")
    path = link_in(outbox("invite")[-1], "/auth/invite/")
    for weak in ("1234567890", "ivyinvited1"):
        response = choose(client, path, password=weak)
        assert response.status_code == 422
        assert TOO_EASY in field_error(response.get_data(as_text=True), "password"), weak
    assert User.by_email("ivy@example.com").password_hash is None
    assert choose(client, path).status_code == 302


def test_a_guessable_password_is_refused_when_changing_it(client, factory):
    candidate = factory.candidate("ada@example.com", name="Ada Lovelace")
    before = candidate.password_hash
    login(client, candidate)
    for weak in ("aaaaaaaaaa", "adalovelace1"):
        response = change_password(client, new=weak)
        assert response.status_code == 422
        assert TOO_EASY in field_error(response.get_data(as_text=True), "password"), weak
    assert reloaded(candidate).password_hash == before
    assert outbox("password_changed") == []


def test_create_staff_refuses_a_guessable_password(app):
    result = app.test_cli_runner().invoke(
        args=[
            "create-staff",
            "--email",
            "alex@example.com",
            "--name",
            "Alex Admin",
            "--role",
            "admin",
            "--password",
            "password12",
        ]
    )
    assert result.exit_code != 0
    assert TOO_EASY in result.output
    assert User.by_email("alex@example.com") is None


def test_no_service_stores_a_guessable_password_whatever_the_caller(app):
    with pytest.raises(accounts.WeakPassword):
        accounts.sign_up(name="Ada", email="ada@example.com", password="password12")
    with pytest.raises(accounts.WeakPassword):
        accounts.create_staff(email="alex@example.com", name="Alex", roles=["admin"], password="1234567890")
    assert User.by_email("ada@example.com") is None and User.by_email("alex@example.com") is None


def test_worker_processes_of_one_machine_share_the_hashing_bound(make_app):
    """Every gunicorn worker has its own semaphore; the host-wide slots keep their sum bounded too."""
    import multiprocessing

    from portal.accounts import hashing

    app = make_app(PASSWORD_HASH_CONCURRENCY=4, PASSWORD_HASH_HOST_CONCURRENCY=1)
    slot_dir = Path(app.instance_path) / "hash-slots"
    with app.app_context(), hashing._host_slot(app):
        # This process holds the machine's only slot: another process cannot take it meanwhile.
        context = multiprocessing.get_context("fork")
        probe = context.Process(target=_try_slot, args=(str(slot_dir),))
        probe.start()
        probe.join(10)
        assert probe.exitcode == 1, "another process got a hashing slot while the only one was held"
    probe = context.Process(target=_try_slot, args=(str(slot_dir),))
    probe.start()
    probe.join(10)
    assert probe.exitcode == 0, "the slot was not free again after the hash"


def _try_slot(directory: str) -> None:
    import fcntl
    import os

    with open(os.path.join(directory, "0.lock"), "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os._exit(1)
    os._exit(0)
