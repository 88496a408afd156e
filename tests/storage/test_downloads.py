"""Downloading a CV: always an attachment with its real type, never sniffed or cached, one Date
header, no ranges promised, and a staff download audited once per GET (a HEAD reads nothing)."""

from __future__ import annotations

import http.client
import io
import re
import threading
from urllib.parse import urlencode

from sqlalchemy import select
from werkzeug.http import parse_options_header
from werkzeug.serving import make_server

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.hiring import services as hiring
from portal.hiring.models import Application
from portal.storage.backends import get_storage
from tests.helpers import PASSWORD, login
from tests.storage.documents import docx, pdf

ANSWERS = {"motivation": "Because.", "proud_of": "", "link": ""}


def _application(factory, content=None, filename="cv.pdf", candidate=None):
    candidate = candidate or factory.candidate()
    recruiter = factory.staff("recruiter")
    position = factory.position(recruiter, recruiter_id=recruiter.id)
    application = hiring.apply(
        candidate, position, cv_stream=io.BytesIO(content or pdf()), cv_filename=filename, answers=ANSWERS
    )
    return application, candidate, recruiter


def _downloads() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "application.cv_download")))


def test_candidate_downloads_their_cv_as_an_attachment_never_sniffed_or_cached(app, client, factory):
    content = pdf("Ada")
    application, candidate, _ = _application(factory, content)
    login(client, candidate)
    response = client.get(f"/applications/{application.id}/cv")
    assert response.status_code == 200 and response.data == content
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Length"] == str(len(content))
    assert parse_options_header(response.headers["Content-Disposition"]) == ("attachment", {"filename": "cv.pdf"})
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"


def test_a_docx_cv_is_served_as_word(app, client, factory):
    application, candidate, _ = _application(factory, docx(), "Lebenslauf.docx")
    login(client, candidate)
    response = client.get(f"/applications/{application.id}/cv")
    assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert parse_options_header(response.headers["Content-Disposition"])[1] == {"filename": "Lebenslauf.docx"}


def test_a_non_ascii_file_name_is_sent_as_rfc_6266_filename_star(app, client, factory):
    application, candidate, _ = _application(factory, filename="Zoë Müller – CV.pdf")
    login(client, candidate)
    header = client.get(f"/applications/{application.id}/cv").headers["Content-Disposition"]
    assert header.startswith('attachment; filename="Zoe Muller  CV.pdf"; ')
    assert "filename*=UTF-8''Zo%C3%AB%20M%C3%BCller%20%20CV.pdf" in header
    assert parse_options_header(header) == ("attachment", {"filename": "Zoë Müller  CV.pdf"})
    assert header.isascii()


def test_a_range_request_gets_the_whole_file_and_no_range_is_advertised(app, client, factory):
    content = pdf()
    application, candidate, _ = _application(factory, content)
    login(client, candidate)
    response = client.get(f"/applications/{application.id}/cv", headers={"Range": "bytes=0-3"})
    assert response.status_code == 200 and response.data == content
    assert "Content-Range" not in response.headers
    assert response.headers.get("Accept-Ranges", "none") == "none"


def test_staff_cv_download_is_audited_once_per_get_and_a_head_is_not_audited(app, client, factory):
    content = pdf()
    application, _, recruiter = _application(factory, content)
    login(client, recruiter)
    head = client.head(f"/staff/applications/{application.id}/cv")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == str(len(content))
    assert _downloads() == []
    response = client.get(f"/staff/applications/{application.id}/cv")
    assert response.status_code == 200 and response.data == content
    assert response.headers["Cache-Control"] == "private, no-store"
    assert parse_options_header(response.headers["Content-Disposition"])[0] == "attachment"
    assert [(e.actor_id, e.object_id) for e in _downloads()] == [(recruiter.id, application.id)]


def test_a_cv_whose_bytes_are_gone_is_not_found_and_not_audited(app, client, factory):
    application, candidate, recruiter = _application(factory)
    get_storage().delete(db.session.get(Application, application.id).cv_file.storage_key)
    login(client, candidate)
    assert client.get(f"/applications/{application.id}/cv").status_code == 404
    staff = app.test_client()
    login(staff, recruiter)
    assert staff.get(f"/staff/applications/{application.id}/cv").status_code == 404
    assert _downloads() == []


def test_the_cv_is_shown_on_the_candidate_and_staff_pages(app, client, factory):
    application, candidate, recruiter = _application(factory, filename="Ada CV.pdf")
    login(client, candidate)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert f'href="/applications/{application.id}/cv">Ada CV.pdf</a>' in page
    staff = app.test_client()
    login(staff, recruiter)
    page = staff.get(f"/staff/applications/{application.id}").get_data(as_text=True)
    assert f'href="/staff/applications/{application.id}/cv">Ada CV.pdf</a>' in page


def test_the_app_leaves_the_date_header_to_the_server(app, client, factory):
    application, candidate, _ = _application(factory)
    login(client, candidate)
    assert "Date" not in client.get(f"/applications/{application.id}/cv").headers


def test_served_by_the_development_server_a_cv_download_carries_exactly_one_date_header(app, factory):
    # `make run` serves with Werkzeug, which always writes a Date of its own (gunicorn drops the
    # app's): a Date set by the app, as send_file's conditional handling does, made two.
    application, candidate, _ = _application(factory)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:

        def request(method, path, body=None, headers=None):
            conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response, response.read()

        response, page = request("GET", "/auth/login")
        cookie = response.getheader("Set-Cookie").split(";")[0]
        token = re.search(rb'<meta name="csrf-token" content="([^"]+)"', page).group(1).decode()
        form = urlencode({"email": candidate.email, "password": PASSWORD, "csrf_token": token})
        response, _ = request(
            "POST", "/auth/login", form, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        )
        assert response.status == 302
        cookie = response.getheader("Set-Cookie").split(";")[0]
        response, body = request("GET", f"/applications/{application.id}/cv", headers={"Cookie": cookie})
        assert response.status == 200 and body == pdf()
        assert len(response.headers.get_all("Date")) == 1
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
