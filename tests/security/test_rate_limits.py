"""Sign-in is throttled per account and per (address, account) with growing delays, and per address
only far above one person's mistakes; sign-up and reset requests are rate limited per address.

Flask-Limiter is one object shared by every app in the process; each test builds exactly one app
with limits on (or two on one database, where that is the point), so its in-memory counters start at
zero. The sign-in throttle keeps its failures in the database, shared by every app instance.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts import throttle
from portal.extensions import db
from portal.timeutil import utcnow
from tests.helpers import PASSWORD, Factory, _run_together, field_error, is_signed_in

LIMIT = 10  # "10 per minute" on the sign-up and reset forms
FREE_GUESSES = 5  # failures from one address at one account before the first wait
OFFICE = "198.51.100.7"


class Clock:
    """The throttle's clock, moved forward instead of waiting."""

    def __init__(self):
        self.offset = timedelta(0)

    def now(self):
        return utcnow() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(throttle, "utcnow", moved.now)
    return moved


@pytest.fixture
def limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        yield app


def browser_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_in(client, email: str, password: str):
    return client.post("/auth/login", data={"email": email, "password": password})


def retry_after(response) -> int:
    return int(response.headers["Retry-After"])


def _assert_portal_429(response):
    assert response.status_code == 429
    body = response.get_data(as_text=True)
    assert "Candor" in body and "Too many attempts" in body
    assert "Traceback" not in body and "flask_limiter" not in body.lower()
    assert response.headers.get("Content-Security-Policy")
    assert int(response.headers["Retry-After"]) > 0


def _assert_sign_in_refused(response, email: str) -> str:
    """429 on the sign-in form itself: the wait next to the password, the email kept, Retry-After."""
    assert response.status_code == 429
    assert retry_after(response) > 0
    page = response.get_data(as_text=True)
    message = field_error(page, "password")
    assert "Too many failed sign-ins" in message and "try again" in message.lower()
    assert f'value="{email}"' in page
    assert response.headers.get("Content-Security-Policy")
    return message


# Sign-in: one address guessing at one account


def test_brute_force_on_one_account_is_refused_after_a_few_guesses_even_with_the_right_password(limited, clock):
    victim = Factory().candidate("victim@cand.example")
    attacker = browser_at(limited, "203.0.113.66")
    for guess in range(FREE_GUESSES):
        assert sign_in(attacker, victim.email, f"guess number {guess}").status_code == 401, guess

    refused = sign_in(attacker, victim.email, PASSWORD)
    message = _assert_sign_in_refused(refused, victim.email)
    assert 0 < retry_after(refused) <= 30
    assert re.search(r"Wait \d+ seconds", message)
    assert not is_signed_in(attacker)

    clock.advance(retry_after(refused) - 2)
    assert sign_in(attacker, victim.email, PASSWORD).status_code == 429  # still within the wait
    clock.advance(3)
    assert sign_in(attacker, victim.email, PASSWORD).status_code == 302  # the right password, after the wait


def test_each_further_failure_makes_the_wait_longer(limited, clock):
    victim = Factory().candidate("victim@cand.example")
    attacker = browser_at(limited, "203.0.113.66")
    waits = []
    for guess in range(FREE_GUESSES + 4):
        response = sign_in(attacker, victim.email, f"guess number {guess}")
        if response.status_code == 429:
            waits.append(retry_after(response))
            clock.advance(retry_after(response))
            assert sign_in(attacker, victim.email, f"guess number {guess}").status_code == 401
    assert len(waits) == 4 and waits == sorted(waits) and waits[-1] >= 4 * waits[0], waits


def test_a_wait_is_refused_without_checking_the_password_and_does_not_count_as_a_guess(limited, clock):
    victim = Factory().candidate("victim@cand.example")
    attacker = browser_at(limited, "203.0.113.66")
    for guess in range(FREE_GUESSES):
        sign_in(attacker, victim.email, f"guess number {guess}")
    first = retry_after(sign_in(attacker, victim.email, "guess during the wait"))
    for _ in range(20):  # hammering during the wait neither gets through nor makes the wait longer
        assert sign_in(attacker, victim.email, "guess during the wait").status_code == 429
    assert retry_after(sign_in(attacker, victim.email, "one more")) <= first
    assert db.session.scalar(select(func.count()).select_from(throttle.SignInFailure)) == FREE_GUESSES


def test_an_unknown_email_is_throttled_exactly_like_an_account(limited):
    """Otherwise the throttle would tell which emails have accounts."""
    Factory().candidate("known@cand.example")
    answers = {}
    for email in ("known@cand.example", "unknown@cand.example"):
        attacker = browser_at(limited, "203.0.113.66")
        statuses = [sign_in(attacker, email, f"guess number {guess}").status_code for guess in range(FREE_GUESSES + 1)]
        refused = sign_in(attacker, email, "guess again")
        answers[email] = (
            statuses,
            refused.status_code,
            retry_after(refused),
            field_error(refused.get_data(as_text=True), "password"),
        )
    assert answers["known@cand.example"] == answers["unknown@cand.example"]
    assert answers["known@cand.example"][0] == [401] * FREE_GUESSES + [429]


def test_rotating_through_an_ipv6_network_counts_as_one_address(limited):
    victim = Factory().candidate("victim@cand.example")
    for guess in range(FREE_GUESSES):
        assert (
            sign_in(browser_at(limited, f"2001:db8:7:1::{guess + 1:x}"), victim.email, f"guess {guess}").status_code
            == 401
        )
    assert sign_in(browser_at(limited, "2001:db8:7:1:ffff::9"), victim.email, PASSWORD).status_code == 429
    # Another /64 is another address.
    assert sign_in(browser_at(limited, "2001:db8:7:2::1"), victim.email, PASSWORD).status_code == 302


def test_guesses_sent_all_at_once_do_not_slip_past_the_throttle(limited):
    """Each attempt is written down before its password is checked, so a burst of parallel guesses
    cannot all pass the count taken before any of them failed."""
    email = Factory().candidate("victim@cand.example").email
    attacker = browser_at(limited, "203.0.113.66")
    for guess in range(FREE_GUESSES - 1):
        assert sign_in(attacker, email, f"guess number {guess}").status_code == 401
    burst = 10
    clients = [browser_at(limited, "203.0.113.66") for _ in range(burst)]
    tokens = [client.csrf_token() for client in clients]

    def guess(number: int) -> int:
        return (
            clients[number]
            .post("/auth/login", data={"email": email, "password": f"parallel {number}", "csrf_token": tokens[number]})
            .status_code
        )

    statuses = _run_together(burst, guess)
    # Of the guesses that arrive together at most one is checked: each sees the others written down
    # (where all are written before any is checked, none is).
    assert len(statuses) == burst and statuses.count(401) <= 1 and set(statuses) <= {401, 429}, statuses


# Sign-in: people sharing an address


def test_a_colleague_behind_the_same_address_signs_in_while_another_account_there_is_throttled(limited):
    forgetful = Factory().candidate("forgetful@cand.example")
    colleague = Factory().candidate("colleague@cand.example")
    for guess in range(FREE_GUESSES):
        sign_in(browser_at(limited, OFFICE), forgetful.email, f"what was it {guess}")
    assert sign_in(browser_at(limited, OFFICE), forgetful.email, PASSWORD).status_code == 429

    desk = browser_at(limited, OFFICE)
    assert sign_in(desk, colleague.email, PASSWORD).status_code == 302
    assert is_signed_in(desk)


def test_many_people_signing_in_from_one_address_do_not_use_up_a_limit(limited):
    people = [Factory().candidate(f"person{n}@cand.example") for n in range(12)]
    for _ in range(2):
        for person in people:
            assert sign_in(browser_at(limited, OFFICE), person.email, PASSWORD).status_code == 302


def test_signing_in_clears_that_addresses_failures_at_the_account(limited, clock):
    candidate = Factory().candidate("typo@cand.example")
    desk = browser_at(limited, OFFICE)
    for guess in range(FREE_GUESSES - 1):
        assert sign_in(desk, candidate.email, f"typo number {guess}").status_code == 401
    assert sign_in(desk, candidate.email, PASSWORD).status_code == 302
    other = browser_at(limited, OFFICE)
    for guess in range(FREE_GUESSES - 1):  # a fresh allowance, not one left
        assert sign_in(other, candidate.email, f"typo again {guess}").status_code == 401


# Sign-in: an attack spread over many addresses


def test_the_owner_signs_in_after_a_short_wait_during_an_attack_from_many_addresses(limited, clock):
    owner = Factory().candidate("owner@cand.example")
    checked = 0
    for guess in range(60):  # a guess a second, each from another address, for a minute
        response = sign_in(browser_at(limited, f"10.{guess // 200}.{guess % 200}.9"), owner.email, f"guess {guess}")
        assert response.status_code in (401, 429)
        checked += response.status_code == 401
        clock.advance(1)
    assert checked < 20  # the account as a whole is slowed, whichever address a guess comes from
    clock.advance(61)
    assert sign_in(browser_at(limited, "10.9.9.9"), owner.email, "the attack goes on").status_code == 401

    home = browser_at(limited, "192.0.2.44")
    refused = sign_in(home, owner.email, PASSWORD)
    _assert_sign_in_refused(refused, owner.email)
    assert retry_after(refused) <= 60  # a short wait, never a lock-out
    clock.advance(retry_after(refused))
    assert sign_in(home, owner.email, PASSWORD).status_code == 302
    assert is_signed_in(home)


# Sign-in: one address guessing at many accounts


def test_failures_from_one_address_across_accounts_are_refused_far_above_one_persons_mistakes(make_app, clock):
    assert make_app().config["SIGNIN_FAILURES_PER_ADDRESS_PER_HOUR"] >= 100  # the default
    app = make_app(RATELIMIT_ENABLED=True, SIGNIN_FAILURES_PER_ADDRESS_PER_HOUR=12)
    with app.app_context():
        someone = Factory().candidate("someone@cand.example")
        for n in range(12):
            assert (
                sign_in(browser_at(app, "203.0.113.99"), f"user{n}@cand.example", "password spray").status_code == 401
            )
        refused = sign_in(browser_at(app, "203.0.113.99"), someone.email, PASSWORD)
        message = _assert_sign_in_refused(refused, someone.email)
        assert "from your network" in message
        assert 3500 <= retry_after(refused) <= 3600
        assert sign_in(browser_at(app, "203.0.113.100"), someone.email, PASSWORD).status_code == 302
        clock.advance(3601)
        assert sign_in(browser_at(app, "203.0.113.99"), someone.email, PASSWORD).status_code == 302


def test_sign_in_limits_hold_across_app_instances(make_app):
    """Production runs several processes: failures seen by one instance slow down the next."""
    first = make_app(RATELIMIT_ENABLED=True)
    second = make_app(RATELIMIT_ENABLED=True)
    with first.app_context():
        email = Factory().candidate("victim@cand.example").email
        for guess in range(FREE_GUESSES):
            assert sign_in(browser_at(first, "203.0.113.66"), email, f"guess {guess}").status_code == 401
    with second.app_context():
        assert sign_in(browser_at(second, "203.0.113.66"), email, PASSWORD).status_code == 429


def test_failures_older_than_a_day_are_pruned(limited, clock):
    for guess in range(8):
        sign_in(browser_at(limited, f"10.0.{guess}.1"), "someone@cand.example", f"guess {guess}")
    clock.advance(25 * 3600)
    sign_in(browser_at(limited, "10.0.0.1"), "someone@cand.example", "a day later")
    assert db.session.scalar(select(func.count()).select_from(throttle.SignInFailure)) == 1


def test_sign_in_failures_keep_no_typed_email_in_the_clear(limited):
    sign_in(browser_at(limited, OFFICE), "private.person@cand.example", "a wrong password")
    [row] = db.session.scalars(select(throttle.SignInFailure)).all()
    assert "private" not in row.account_key and row.address == OFFICE


# Sign-up and reset


FORMS = {
    "sign-up": ("/auth/signup", lambda i: {"name": "", "email": f"x{i}@cand.example", "password": "short"}, 422),
    "reset": ("/auth/reset", lambda i: {"email": f"nobody{i}@cand.example"}, 200),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_eleventh_attempt_within_a_minute_is_refused_with_429(limited, form):
    path, data, normal_status = FORMS[form]
    client = limited.test_client()
    for attempt in range(LIMIT):
        assert client.post(path, data=data(attempt)).status_code == normal_status, attempt
    _assert_portal_429(client.post(path, data=data(LIMIT)))


def test_reading_the_forms_is_not_limited(limited):
    client = limited.test_client()
    for _ in range(LIMIT + 5):
        assert client.get("/auth/login").status_code == 200


def test_each_form_has_its_own_budget(limited):
    client = limited.test_client()
    for attempt in range(LIMIT + 1):
        client.post("/auth/reset", data={"email": f"x{attempt}@cand.example"})
    assert client.post("/auth/reset", data={"email": "x@cand.example"}).status_code == 429
    assert client.post("/auth/login", data={"email": "x@cand.example", "password": "p"}).status_code == 401


def test_password_reset_link_form_is_limited_too(limited):
    client = limited.test_client()
    for attempt in range(LIMIT):
        assert client.post(f"/auth/reset/guess-{attempt}", data={"password": "x"}).status_code == 400
    _assert_portal_429(client.post("/auth/reset/guess-last", data={"password": "x"}))


def test_reset_mails_to_one_account_are_capped_per_hour(limited):
    from tests.helpers import outbox

    candidate = Factory().candidate("flooded@cand.example")
    for attempt in range(8):
        client = limited.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.1.{attempt}.1"
        response = client.post("/auth/reset", data={"email": candidate.email})
        assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    db.session.expire_all()
    assert len(outbox("reset_password")) == 5
