"""Test helpers: a CSRF-aware client, factories that go through the services, mail look-ups."""

from __future__ import annotations

import io
import re
import uuid

from flask import has_app_context
from flask.testing import FlaskClient

from portal.accounts.models import User
from portal.extensions import db

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"
CHEAP_HASH_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
REMEMBER = "candor_remember"
SESSION = "candor_session"


def app_config(database_url: str, storage) -> dict:
    """The configuration every test app starts from."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "STORAGE_DIR": str(storage),
        "MAIL_URL": "",
        "RATELIMIT_ENABLED": False,
        "BASE_URL": "http://127.0.0.1:5000",
        "SERVER_NAME": None,
        # argon2id still, at a cost that keeps hundreds of test accounts quick to create.
        "PASSWORD_HASH_PARAMETERS": CHEAP_HASH_PARAMETERS,
    }


def wipe_database(app) -> None:
    """Empty every table (the schema stays), between tests."""
    # DELETE in dependency order: for the handful of rows a test writes it is far quicker than
    # TRUNCATE on PostgreSQL, and it works the same on SQLite.
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


class CSRFClient(FlaskClient):
    """A test client that sends the page's CSRF token with every POST, as a browser form does.

    Every request runs in an application context of its own, as in production: a test keeps one
    context pushed, and Flask would otherwise reuse it, carrying `g` (the signed-in user, the CSRF
    token) and the database session from one client's request into another's. After a request the
    test's own session is expired, so what the test reads next comes from the database.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            db.session.expire_all()
        return response

    def csrf_token(self) -> str:
        page = self.get("/positions").get_data(as_text=True)
        match = CSRF_META.search(page)
        assert match, "no CSRF token on the page"
        return match.group(1)

    def post(self, *args, csrf: bool = True, **kwargs):
        if csrf:
            data = kwargs.setdefault("data", {})
            if isinstance(data, dict) and "csrf_token" not in data:
                data["csrf_token"] = self.csrf_token()
        return super().post(*args, **kwargs)


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def pdf_file(name: str = "cv.pdf", content: bytes = PDF):
    return (io.BytesIO(content), name)


class Factory:
    """Builds objects through the services, as the product does."""

    def candidate(
        self,
        email: str | None = None,
        *,
        name: str = "Casey Candidate",
        verified: bool = True,
        password: str = PASSWORD,
    ):
        from portal.accounts import services as accounts
        from portal.timeutil import utcnow

        user = accounts.sign_up(name=name, email=email or f"cand-{uuid.uuid4().hex[:8]}@example.com", password=password)
        if verified:
            user.email_verified_at = utcnow()
            db.session.commit()
        return user

    def staff(self, *roles, email: str | None = None, name: str = "Sam Staff", password: str = PASSWORD):
        from portal.accounts import services as accounts

        return accounts.create_staff(
            email=email or f"staff-{uuid.uuid4().hex[:8]}@example.com",
            name=name,
            roles=roles or ("recruiter",),
            password=password,
        )

    def position(self, actor=None, **fields):
        from portal.hiring import services as hiring

        actor = actor or self.staff("recruiter")
        fields.setdefault("title", "Backend Engineer")
        fields.setdefault("team", "Platform")
        return hiring.create_position(actor, **fields)

    def application(self, candidate=None, position=None, *, advances: int = 0, actor=None):
        from portal.hiring import process
        from portal.hiring import services as hiring

        candidate = candidate or self.candidate()
        mover = actor or self.staff("recruiter")
        position = position or self.position(mover if mover.has_role("recruiter") else None)
        application = hiring.apply(
            candidate,
            position,
            cv_stream=io.BytesIO(PDF),
            cv_filename="cv.pdf",
            answers={"motivation": "Because.", "proud_of": "", "link": ""},
        )
        for _ in range(advances):
            hiring.move(application.id, process.Action.ADVANCE, mover)
        return application


def login(client, user_or_email, password: str = PASSWORD, remember: bool = False):
    email = getattr(user_or_email, "email", user_or_email)
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    response = client.post("/auth/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def outbox(kind: str | None = None):
    from sqlalchemy import select

    from portal.notifications.models import OutboxMessage

    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def link_in(message, path_prefix: str) -> str:
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"[^\s]*)", message.body_text)
    assert match, f"no {path_prefix} link in: {message.body_text}"
    return match.group(1)


def reloaded(user: User) -> User:
    """The user as the database has it now (requests write through their own sessions)."""
    db.session.expire_all()
    return db.session.get(User, user.id)


def field_error(page: str, field_id: str) -> str:
    """The error text shown next to a form field ('' if none)."""
    match = re.search(rf'<small id="{re.escape(field_id)}-error" class="field-error">(.*?)</small>', page, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def is_signed_in(browser) -> bool:
    """True when the browser's cookies open a signed-in page."""
    response = browser.get("/auth/password")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def change_password(browser, current: str = PASSWORD, new: str = NEW_PASSWORD):
    return browser.post("/auth/password", data={"current": current, "password": new, "confirm": new})


def only_remember_cookie_of(browser, new_browser):
    """A new browser that holds nothing but `browser`'s remember cookie (as after a restart)."""
    cookie = browser.get_cookie(REMEMBER)
    assert cookie is not None
    fresh = new_browser()
    fresh.set_cookie(REMEMBER, cookie.value)
    return fresh


def queries_for(client, url: str) -> int:
    """How many SQL statements one GET of `url` runs (the page must answer 200)."""
    from sqlalchemy import event

    count = 0

    def count_query(*_):
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", count_query)
    try:
        assert client.get(url).status_code == 200, url
    finally:
        event.remove(db.engine, "before_cursor_execute", count_query)
    return count


def _run_together(count: int, attempt, timeout: float = 30.0) -> list:
    """Run attempt(i) in `count` threads released at the same moment; return their results in order.

    A thread that raises fails the caller with that exception (never silently dropped), and a
    thread that hangs fails it after `timeout` seconds instead of hanging the test run.
    """
    import threading

    barrier = threading.Barrier(count, timeout=timeout)
    results: list = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = attempt(index)
        except BaseException as exc:  # noqa: BLE001  reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if any(thread.is_alive() for thread in threads):
        raise AssertionError(f"a racing thread did not finish within {timeout} s")
    if errors:
        raise errors[0]
    return results


def race(app, count: int, attempt, refusal: type[Exception]) -> list[str]:
    """Run `attempt()` in `count` threads at once, each with its own app context and database
    session, as concurrent requests would; returns "done" or "refused" for each, sorted.
    Any other exception in a thread fails the test."""

    def run(_index: int) -> str:
        with app.app_context():
            try:
                attempt()
                return "done"
            except refusal:
                return "refused"
            finally:
                db.session.remove()

    return sorted(_run_together(count, run))


def race_requests(app, user, count: int, method: str, url: str, **kwargs) -> list[int]:
    """`count` clients signed in as `user` send the same request at the same moment; their statuses."""
    clients = []
    for _ in range(count):
        client = app.test_client()
        login(client, user)
        clients.append(client)
    # Tokens are fetched before the start, so the requests themselves go out together.
    if method == "post":
        for client in clients:
            client.race_token = client.csrf_token()

    def send(index: int) -> int:
        client = clients[index]
        if method == "post":
            data = dict(kwargs.get("data", {}), csrf_token=client.race_token)
            return client.post(url, data=data, csrf=False).status_code
        return getattr(client, method)(url, **kwargs).status_code

    return _run_together(count, send)


def timeline_of(page: str) -> list[str]:
    """The entries of an application page's timeline as a reader sees them (text only, without the
    moment each one happened), newest first."""
    import html
    import re

    section = page.split('id="timeline-heading"', 1)[1].split("</section>", 1)[0]
    items = [
        re.sub(r"<time[^>]*>.*?</time>", "", item, count=1, flags=re.S)
        for item in re.findall(r"<li[^>]*>(.*?)</li>", section, flags=re.S)
    ]
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]
