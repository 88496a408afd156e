"""Candidate pages: what a candidate reads about their application, and nothing more."""

from __future__ import annotations

import re

from portal.extensions import db
from portal.hiring.models import Application
from tests.helpers import login, queries_for


def test_candidate_reads_rejection_feedback_and_reapply_date(app, client, factory):
    recruiter = factory.staff("recruiter")
    application = factory.application(actor=recruiter)
    from portal.hiring import process, services as hiring

    hiring.move(application.id, process.Action.REJECT, recruiter, feedback="Clear thinking; practise system design.")
    login(client, application.candidate)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    application = db.session.get(Application, application.id)
    assert "Clear thinking; practise system design." in page
    assert application.reapply_after.strftime("%d %B %Y") in page
    assert "Not selected" in page and "Ended here" in page


def test_candidate_pages_show_nothing_internal(app, client, factory):
    """Who moved an application, staff emails and other candidates never reach a candidate's page."""
    recruiter = factory.staff("recruiter", name="Rita Internal", email="rita.internal@staff.example")
    position = factory.position(recruiter)
    mine = factory.application(factory.candidate(name="Me Myself"), position, advances=2, actor=recruiter)
    factory.application(factory.candidate("other.person@example.com", name="Other Person"), position, actor=recruiter)
    login(client, mine.candidate)
    for url in ("/dashboard", f"/applications/{mine.id}", f"/positions/{position.id}"):
        page = client.get(url).get_data(as_text=True)
        for secret in ("Rita Internal", "rita.internal@staff.example", "Other Person", "other.person@example.com"):
            assert secret not in page, (url, secret)


def test_candidate_pages_use_a_constant_number_of_queries(app, client, factory):
    candidate = factory.candidate()
    recruiter = factory.staff("recruiter")
    login(client, candidate)

    first = factory.application(candidate, factory.position(recruiter), advances=1, actor=recruiter)
    pages = ("/dashboard", f"/applications/{first.id}", "/positions")
    small = [queries_for(client, url) for url in pages]
    for _ in range(6):
        factory.application(candidate, factory.position(recruiter), advances=3, actor=recruiter)
    assert [queries_for(client, url) for url in pages] == small


def test_position_description_is_markdown_without_script(app, client, factory):
    position = factory.position(
        description=(
            "## What you do\n\n- Build **services**\n- [Read more](https://example.com/team)\n\n"
            "<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>"
        )
    )
    page = client.get(f"/positions/{position.id}").get_data(as_text=True)
    assert "<h3>What you do</h3>" in page and "<strong>services</strong>" in page
    assert 'href="https://example.com/team"' in page
    assert "<script>alert" not in page and 'href="javascript' not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)" in page  # shown as the text it is


def test_the_technical_screen_section_reuses_the_application_the_page_loaded(app, client, factory):
    # The take-home section of the candidate's page asks for the application by id; the page loaded it
    # (with its stages and progress) a moment before, and reading it again cost three queries a view.
    from sqlalchemy import event

    candidate = factory.candidate()
    recruiter = factory.staff("recruiter")
    application = factory.application(candidate, factory.position(recruiter), advances=2, actor=recruiter)
    login(client, candidate)
    url = f"/applications/{application.id}"
    statements = []

    def record(_conn, _cursor, statement, *_):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert page.status_code == 200
    assert "Your technical screen" in page.get_data(as_text=True)
    reads = [s for s in statements if re.search(r"\bFROM applications\b", s)]
    assert len(reads) == 1, "\n\n".join(reads)
