"""An address has one spelling: look-alikes typed anywhere reach the same account and share its limits."""

from __future__ import annotations

from tests.helpers import Factory

# Fullwidth letters and upper case: NFKC and lower-casing fold each to target@cand.example.
SPELLINGS = [
    "target@cand.example",
    "TARGET@cand.example",
    "\uff54arget@cand.example",
    "target@\uff43and.example",
    "\uff34\uff21RGET@CAND.EXAMPLE",
]


def test_look_alike_spellings_of_one_address_share_its_sign_in_limit(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        Factory().candidate("target@cand.example")
        # The account's own throttle lets a few failures from anywhere through, then makes everyone wait:
        # every spelling that reaches the account counts as that account.
        for attempt in range(10):
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"10.1.{attempt}.1"
            email = SPELLINGS[attempt % len(SPELLINGS)]
            assert client.post("/auth/login", data={"email": email, "password": f"guess {attempt}"}).status_code == 401
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "10.1.99.1"
        response = client.post("/auth/login", data={"email": "\uff54\uff41rget@cand.example", "password": "guess"})
        assert response.status_code == 429


def test_a_look_alike_spelling_signs_in_to_the_one_account(client, factory):
    from tests.helpers import login

    candidate = factory.candidate("target@cand.example")
    for email in SPELLINGS:
        browser = client.application.test_client()
        login(browser, email)
        with browser.session_transaction() as session:
            assert session["_user_id"].split(":")[0] == str(candidate.id)
