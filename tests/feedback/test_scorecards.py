"""An interviewer fills in, saves, submits and amends the scorecard of their own interview; nobody
else writes it, and a bad submission says what is wrong next to the field and saves nothing."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.feedback import services
from portal.feedback.models import Scorecard, ScorecardVersion
from tests.feedback.helpers import complete_form, submit
from tests.helpers import field_error, login
from tests.security.world import table_snapshot


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def test_my_interviews_links_the_kit_and_the_scorecard_of_a_held_interview(app, team, round_one):
    engineer = team.engineers[0]
    page = _client(app, engineer).get("/staff/interviews").get_data(as_text=True)
    interview = round_one.of(engineer)
    assert f'href="/staff/interviews/{interview.id}/kit">Interview kit' in page
    # Held 30 hours ago with nothing written: flagged.
    assert f'href="/staff/interviews/{interview.id}/scorecard">Scorecard overdue' in page


def test_an_interviewer_saves_a_draft_then_submits_it(app, team, round_one):
    engineer = team.engineers[0]
    interview = round_one.of(engineer)
    client = _client(app, engineer)
    draft = {"private_notes": "Draft thoughts", "action": "draft"}
    assert client.post(f"/staff/interviews/{interview.id}/scorecard", data=draft).status_code == 302
    scorecard = db.session.scalar(select(Scorecard).where(Scorecard.interview_id == interview.id))
    assert scorecard.status == "draft" and scorecard.private_notes == "Draft thoughts"
    page = client.get(f"/staff/interviews/{interview.id}/scorecard").get_data(as_text=True)
    assert "Draft thoughts" in page and "Draft, saved" in page
    submit(client, interview, notes="Final thoughts")
    db.session.expire_all()
    scorecard = db.session.get(Scorecard, scorecard.id)
    assert (scorecard.status, scorecard.private_notes, scorecard.version) == ("submitted", "Final thoughts", 1)
    assert all(r.rating == 3 for r in scorecard.ratings) and len(scorecard.ratings) == 4 + 2 + 3
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "feedback_scorecards"))
    assert list(actions) == ["scorecard.save_draft", "scorecard.submit"]


def test_a_submission_with_answers_missing_marks_each_field_keeps_the_input_and_saves_nothing(app, team, round_one):
    engineer = team.engineers[0]
    interview = round_one.of(engineer)
    client = _client(app, engineer)
    data = complete_form(interview, notes="Keep me please")
    first = next(iter(k for k in data if k.startswith("rating_")))
    del data[first], data["recommendation"]
    before = table_snapshot()
    response = client.post(f"/staff/interviews/{interview.id}/scorecard", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field_error(page, first) == "Error: Rate this before you submit."
    assert field_error(page, "recommendation") == "Error: Choose your recommendation before you submit."
    assert field_error(page, "keeper_test") == ""
    assert "Keep me please" in page
    assert re.search(r'<input checked id="keeper_test-0" name="keeper_test" type="radio" value="yes">', page)
    assert table_snapshot() == before


def test_a_rating_off_the_scale_is_refused_with_a_message(app, team, round_one):
    engineer = team.engineers[0]
    interview = round_one.of(engineer)
    data = complete_form(interview)
    first = next(k for k in data if k.startswith("rating_"))
    client = _client(app, engineer)
    before = table_snapshot()
    for bad in ("9", "abc", "0"):
        data[first] = bad
        response = client.post(f"/staff/interviews/{interview.id}/scorecard", data=dict(data))
        assert response.status_code == 400, bad
        assert field_error(response.get_data(as_text=True), first), bad
    data[first], data["recommendation"] = "3", "maybe"
    response = client.post(f"/staff/interviews/{interview.id}/scorecard", data=dict(data))
    assert response.status_code == 400 and field_error(response.get_data(as_text=True), "recommendation")
    assert table_snapshot() == before


def test_notes_too_long_are_refused_next_to_the_field(app, team, round_one):
    engineer = team.engineers[0]
    interview = round_one.of(engineer)
    response = _client(app, engineer).post(
        f"/staff/interviews/{interview.id}/scorecard", data=complete_form(interview, notes="x" * 10_001)
    )
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "private_notes")
    assert db.session.scalar(select(Scorecard)) is None


def test_only_the_interviews_own_interviewer_opens_or_writes_its_scorecard(app, team, round_one, factory):
    interview = round_one.of(team.engineers[0])
    url = f"/staff/interviews/{interview.id}/scorecard"
    # Another interviewer of the same round, the position's recruiter and hiring manager: not found.
    for other in (team.engineers[1], team.recruiter, team.manager, team.hr):
        client = _client(app, other)
        assert client.get(url).status_code == 404, other.email
        assert client.post(url, data=complete_form(interview)).status_code == 404, other.email
        assert client.get(f"/staff/interviews/{interview.id}/kit").status_code == 404, other.email
    candidate = _client(app, round_one.application.candidate)
    assert candidate.get(url).status_code == 403
    assert db.session.scalar(select(Scorecard)) is None


def test_an_amendment_reason_with_a_direction_override_is_refused_and_changes_nothing(app, team, round_one):
    engineer = team.engineers[0]
    interview = round_one.of(engineer)
    client = _client(app, engineer)
    submit(client, interview, notes="First view", rating="2")
    url = f"/staff/interviews/{interview.id}/scorecard"
    before = table_snapshot()
    for reason in ("hi \u202eevil", "Misread\u200b my notes"):
        response = client.post(url, data=complete_form(interview, notes="Second view", action="amend", reason=reason))
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert (
            field_error(page, "reason")
            == "Error: Remove the invisible or direction-changing characters from this field."
        )
        assert reason in page
    # The notes are text areas too.
    response = client.post(url, data=complete_form(interview, notes="Good \u202eevil", action="amend", reason="Typo"))
    assert response.status_code == 400 and "direction-changing" in field_error(
        response.get_data(as_text=True), "private_notes"
    )
    assert table_snapshot() == before


def test_a_submitted_scorecard_changes_only_by_an_amendment_with_a_reason(app, team, round_one):
    engineer = team.engineers[0]
    interview = round_one.of(engineer)
    client = _client(app, engineer)
    submit(client, interview, notes="First view", rating="2")
    url = f"/staff/interviews/{interview.id}/scorecard"
    # The page now asks for a reason; without one nothing changes.
    assert 'name="reason"' in client.get(url).get_data(as_text=True)
    before = table_snapshot()
    response = client.post(url, data=complete_form(interview, notes="Second view", action="amend"))
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "reason") == "Error: Say why you amend the scorecard."
    assert table_snapshot() == before
    # Saving it as a draft again is not a way around the reason.
    with app.app_context():
        try:
            services.save(interview.id, engineer, services.ScorecardInput(), submit=False)
        except services.AlreadySubmitted:
            pass
        else:
            raise AssertionError("a submitted scorecard was saved as a draft")
    response = client.post(
        url, data=complete_form(interview, notes="Second view", rating="4", action="amend", reason="Misread my notes")
    )
    assert response.status_code == 302
    db.session.expire_all()
    scorecard = db.session.scalar(select(Scorecard).where(Scorecard.interview_id == interview.id))
    assert (scorecard.version, scorecard.private_notes) == (2, "Second view")
    [earlier] = db.session.scalars(select(ScorecardVersion)).all()
    assert (earlier.version, earlier.reason, earlier.content["private_notes"]) == (1, "Misread my notes", "First view")
    assert {r["rating"] for r in earlier.content["ratings"]} == {2}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "scorecard.amend"))
    assert entry.data["reason"] == "Misread my notes" and entry.actor_id == engineer.id
    # The recruiter reads both versions and the reason.
    page = _client(app, team.recruiter).get(f"/staff/scorecards/{scorecard.id}").get_data(as_text=True)
    assert "Second view" in page and "First view" in page and "Misread my notes" in page


def test_an_interview_still_to_come_or_cancelled_takes_no_scorecard(app, team, factory, kits):
    from tests.feedback.conftest import held_round

    application = factory.application(factory.candidate(), team.position, advances=3, actor=team.recruiter)
    upcoming = held_round(application, team, ended_hours_ago=-24)
    interview = upcoming.of(team.engineers[0])
    client = _client(app, team.engineers[0])
    page = client.get("/staff/interviews").get_data(as_text=True)
    assert f"/staff/interviews/{interview.id}/kit" in page and f"/staff/interviews/{interview.id}/scorecard" not in page
    response = client.post(f"/staff/interviews/{interview.id}/scorecard", data=complete_form(interview))
    assert response.status_code == 409 and "opens when the interview starts" in response.get_data(as_text=True)
    assert db.session.scalar(select(Scorecard)) is None


def test_simultaneous_submits_of_one_draft_submit_it_once(app, team, round_one):
    # A double click or two tabs: one submission is taken, the others are told it is submitted already,
    # and the audit log says it once (SQLite has no row locks; the application's lock serialises them).
    from tests.helpers import race_requests

    engineer = team.engineers[0]
    interview = round_one.of(engineer)
    client = _client(app, engineer)
    url = f"/staff/interviews/{interview.id}/scorecard"
    assert client.post(url, data={"private_notes": "Draft", "action": "draft"}).status_code == 302
    statuses = race_requests(app, engineer, 6, "post", url, data=complete_form(interview, notes="Final"))
    assert sorted(statuses).count(302) == 1, statuses
    # The others are told it is submitted already (409), or, arriving once it is, get the amendment
    # form, which asks for a reason (400): either way nothing is written.
    assert all(status in (302, 400, 409) for status in statuses), statuses
    db.session.expire_all()
    submits = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action == "scorecard.submit")).all()
    assert len(submits) == 1
    assert db.session.scalar(select(Scorecard.version).where(Scorecard.interview_id == interview.id)) == 1


def test_an_interviewer_reads_who_moves_an_active_application_not_that_the_candidate_withdrew(app, team, round_one):
    page = _client(app, team.engineers[0]).get(f"/staff/applications/{round_one.application.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "The position's recruiter and hiring manager move this application." in text
    assert "withdrew" not in text
