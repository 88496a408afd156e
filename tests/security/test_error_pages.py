"""Error pages are the portal's own, helpful, and leak nothing about the internals."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select, text
from werkzeug.exceptions import Gone, UnsupportedMediaType

from portal.extensions import db
from portal.hiring.models import Application
from portal.security import policy
from tests.helpers import PDF, Factory, login

LEAKS = (
    "Traceback",
    'File "',
    ".py",
    "werkzeug",
    "sqlalchemy",
    "psycopg",
    "jinja2",
    "Werkzeug Debugger",
    "SELECT ",
    "secret-detail",
)


def assert_portal_page(response, status: int, *phrases: str) -> str:
    assert response.status_code == status
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert "Candor" in body and f"Error {status}" in body
    assert 'href="/"' in body, "an error page offers the way back to the start page"
    # Random tokens (CSRF) may spell anything, ".py" included: look at the text around them.
    text = re.sub(r'(content|value)="[^"]*"', "", body)
    for leak in LEAKS:
        assert leak not in text, f"the {status} page shows {leak!r}"
    for phrase in phrases:
        assert phrase in body
    return body


def test_unknown_path_is_the_portals_404(client):
    assert_portal_page(client.get("/no/such/page"), 404, "Page not found")


def test_unknown_object_is_the_portals_404(client, factory):
    login(client, factory.candidate("a@cand.example"))
    assert_portal_page(client.get("/applications/999999"), 404, "Page not found")


def test_another_candidates_application_is_the_same_404_as_a_missing_one(client, factory):
    other = factory.application(factory.candidate("b@cand.example"))
    login(client, factory.candidate("a@cand.example"))
    theirs = client.get(f"/applications/{other.id}")
    missing = client.get("/applications/999999")
    assert_portal_page(theirs, 404)
    # The CSRF token is signed with the time to the second: the only part that may differ.
    token = re.compile(r'(name="csrf-token" content|name="csrf_token" type="hidden" value)="[^"]+"')
    assert token.sub("", theirs.get_data(as_text=True)) == token.sub(
        "", missing.get_data(as_text=True).replace("999999", str(other.id))
    )


def test_refused_page_is_the_portals_403(client, factory):
    login(client, factory.candidate("a@cand.example"))
    assert_portal_page(client.get("/staff/"), 403, "You cannot open this page")


def test_wrong_method_is_the_portals_405_and_says_what_is_allowed(client):
    response = client.get("/auth/logout")
    assert_portal_page(response, 405)
    assert "POST" in response.headers.get("Allow", "")


def test_upload_over_the_request_limit_is_the_portals_413_and_stores_nothing(app, client, factory, tmp_path):
    position = factory.position()
    login(client, factory.candidate("a@cand.example"))
    too_big = PDF + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1024)
    response = client.post(
        f"/positions/{position.id}/apply", data={"cv": (io.BytesIO(too_big), "cv.pdf"), "motivation": "Hello"}
    )
    assert_portal_page(response, 413, "too large")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0
    storage = tmp_path / "storage"
    assert not storage.exists() or not any(p.is_file() for p in storage.rglob("*"))


def test_413_page_states_the_configured_limit_of_the_upload_and_no_file_limit_elsewhere(make_app):
    app = make_app(MAX_CONTENT_LENGTH=2 * 1024 * 1024 + 1024, MAX_UPLOAD_BYTES=2 * 1024 * 1024)
    with app.app_context():
        position = Factory().position()
        client = app.test_client()
        login(client, Factory().candidate("big@cand.example"))
        upload = client.post(
            f"/positions/{position.id}/apply",
            data={"cv": (io.BytesIO(PDF + b"0" * (3 * 1024 * 1024)), "cv.pdf")},
        )
        form = app.test_client().post(
            "/auth/signup", data={"blob": "x" * (3 * 1024 * 1024)}, content_type="multipart/form-data"
        )
    body = assert_portal_page(upload, 413, "too large")
    assert "2 MB" in body and "10 MB" not in body
    # A form without a file is not told about file sizes.
    body = assert_portal_page(form, 413, "too much to send")
    assert "MB" not in body and "file" not in body.split("<main", 1)[-1]


def test_csrf_failure_is_the_portals_400(client):
    response = client.post("/auth/login", data={"email": "a@cand.example", "password": "x"}, csrf=False)
    assert_portal_page(response, 400, "Reload the page")


def _app_with_failing_routes(make_app):
    app = make_app()

    @policy.public
    def boom():
        raise RuntimeError("secret-detail: postgresql://candor:hunter2@db.internal/candor")

    @policy.public
    def bad_sql():
        db.session.execute(text("SELECT secret_detail FROM no_such_table_secret_detail"))
        return "unreachable"

    @policy.public
    def gone():
        raise Gone()

    @policy.public
    def unsupported():
        raise UnsupportedMediaType()

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/bad-sql", "bad_sql", bad_sql)
    app.add_url_rule("/gone", "gone", gone)
    app.add_url_rule("/unsupported", "unsupported", unsupported)
    return app


def test_unexpected_error_is_the_portals_500_and_leaks_nothing(make_app):
    app = _app_with_failing_routes(make_app)
    with app.app_context():
        response = app.test_client().get("/boom")
    body = assert_portal_page(response, 500, "Something went wrong on our side")
    assert "hunter2" not in body and "RuntimeError" not in body and "db.internal" not in body


def test_database_error_is_a_500_and_the_next_request_works(make_app):
    app = _app_with_failing_routes(make_app)
    with app.app_context():
        candidate = Factory().candidate("a@cand.example")
        client = app.test_client()
        login(client, candidate)
        response = client.get("/bad-sql")
        body = assert_portal_page(response, 500)
        assert "no_such_table" not in body
        assert "no-store" in response.headers.get("Cache-Control", "")
        assert client.get("/dashboard").status_code == 200


@pytest.mark.parametrize(("path", "status"), [("/gone", 410), ("/unsupported", 415)])
def test_other_http_errors_are_portal_pages_with_their_own_status(make_app, path, status):
    app = _app_with_failing_routes(make_app)
    with app.app_context():
        response = app.test_client().get(path)
    body = assert_portal_page(response, status)
    assert "Something went wrong on our side" not in body, "a client error is not blamed on the server"


def test_route_redirects_are_not_turned_into_error_pages(client):
    response = client.get("/staff")  # the rule is /staff/
    assert response.status_code in (301, 308)
    assert response.headers["Location"].endswith("/staff/")


def test_error_page_for_a_signed_in_person_links_their_home(client, factory):
    login(client, factory.staff("interviewer"))
    body = assert_portal_page(client.get("/no/such/page"), 404)
    assert 'href="/staff/"' in body


def test_a_nul_that_reaches_postgresql_is_a_400_and_a_nul_in_an_address_is_refused_at_the_door(make_app):
    app = make_app()

    @policy.public
    def echo():
        return str(db.session.execute(text("SELECT :value"), {"value": request.args.get("v", "")}).scalar())

    from flask import request

    app.add_url_rule("/echo", "echo", echo)
    with app.app_context():
        client = app.test_client()
        assert_portal_page(client.get("/positions/%00"), 400)
        assert_portal_page(client.get("/calendar/%00abc.ics"), 400)
        response = client.get("/echo?v=a%00b")
        if db.engine.dialect.name == "postgresql":
            assert_portal_page(response, 400, "NUL character")
        else:
            assert response.status_code == 200  # SQLite keeps NUL like any other character
