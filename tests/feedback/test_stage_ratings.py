"""The candidate's feedback on the process: each completed stage rated once (1 to 5, with a comment),
anonymous to interviewers, and shown to the position's recruiter only in aggregate, never for fewer than
five answers."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.feedback.outcome_models import StageRating
from tests.helpers import login


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _screen(position):
    return position.process.stage_by_key("recruiter_screen")


def _rate(app, application, stage, rating="4", comment=""):
    client = _client(app, application.candidate)
    prefix = f"stage{stage.id}-"
    return client.post(
        f"/applications/{application.id}/stages/{stage.id}/rating",
        data={prefix + "rating": rating, prefix + "comment": comment},
    )


@pytest.fixture
def past_screen(app, team, factory):
    """Six candidates past the recruiter screen (now at the technical screen)."""
    return [
        factory.application(factory.candidate(name=f"Rater {i}"), team.position, advances=2, actor=team.recruiter)
        for i in range(6)
    ]


def test_a_candidate_rates_a_completed_stage_once(app, team, past_screen):
    application = past_screen[0]
    stage = _screen(team.position)
    page = _client(app, application.candidate).get(f"/applications/{application.id}").get_data(as_text=True)
    assert "How was it for you?" in page and "Rate Recruiter screen" in page
    assert _rate(app, application, stage, "5", "Friendly and clear.").status_code == 302
    [rating] = db.session.scalars(select(StageRating)).all()
    assert (rating.rating, rating.comment) == (5, "Friendly and clear.")
    page = _client(app, application.candidate).get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Rate Recruiter screen" not in page
    again = _rate(app, application, stage, "1")
    assert again.status_code == 409 and len(db.session.scalars(select(StageRating)).all()) == 1


def test_the_current_stage_and_another_candidates_application_cannot_be_rated(app, team, past_screen, factory):
    application = past_screen[0]
    current = team.position.process.stage_by_key("technical_screen")
    assert _rate(app, application, current).status_code == 409
    stranger = factory.candidate()
    response = _client(app, stranger).post(
        f"/applications/{application.id}/stages/{_screen(team.position).id}/rating",
        data={f"stage{_screen(team.position).id}-rating": "1"},
    )
    assert response.status_code == 404
    assert db.session.scalars(select(StageRating)).all() == []


def test_bad_input_is_answered_next_to_the_field_and_keeps_the_comment(app, team, past_screen):
    application = past_screen[0]
    stage = _screen(team.position)
    response = _rate(app, application, stage, rating="", comment="KEPT-COMMENT")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Choose a rating from 1 to 5." in page and "KEPT-COMMENT" in page
    assert _rate(app, application, stage, rating="9").status_code == 400
    assert db.session.scalars(select(StageRating)).all() == []


def test_the_recruiter_sees_figures_only_from_five_answers_and_never_who_gave_them(app, team, past_screen):
    stage = _screen(team.position)
    for application in past_screen[:4]:
        _rate(app, application, stage, "4", f"COMMENT-{application.candidate.name}")
    url = f"/staff/positions/{team.position.id}/satisfaction"
    page = _client(app, team.recruiter).get(url).get_data(as_text=True)
    assert "Fewer than 5 answers" in page and "COMMENT-" not in page
    _rate(app, past_screen[4], stage, "2", "COMMENT-five")
    page = _client(app, team.recruiter).get(url).get_data(as_text=True)
    assert "3.6" in page and "COMMENT-five" in page
    for application in past_screen[:5]:
        assert application.candidate.name not in page.replace(f"COMMENT-{application.candidate.name}", "")
        assert application.candidate.email not in page
    # The audit entry names the position and the stage, never the candidate, their address or the rating.
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "stage_rating.given")).all()
    assert len(entries) == 5
    assert all(e.actor_id is None and e.object_type == "positions" and "rating" not in e.data for e in entries)
    assert all(e.ip is None for e in entries)


def test_one_more_answer_cannot_be_read_by_comparing_the_page_before_and_after(app, team, past_screen):
    # Five answers show; the recruiter then sees the sixth candidate leave the screen and reloads the
    # page after their rating: nothing on it may change until a whole new group of five has answered.
    stage = _screen(team.position)
    for application in past_screen[:5]:
        assert _rate(app, application, stage, "4", "Clear and kind.").status_code == 302
    url = f"/staff/positions/{team.position.id}/satisfaction"
    before = _client(app, team.recruiter).get(url).get_data(as_text=True)
    assert _rate(app, past_screen[5], stage, "1", "SIXTH-ANSWER was late").status_code == 302
    after = _client(app, team.recruiter).get(url).get_data(as_text=True)
    strip = re.compile(r'name="csrf[-_]token"[^>]*>')
    assert strip.sub("", before) == strip.sub("", after)
    assert "SIXTH-ANSWER" not in after and "4.0" in after


def test_interviewers_cannot_open_the_ratings(app, team):
    url = f"/staff/positions/{team.position.id}/satisfaction"
    assert _client(app, team.engineers[0]).get(url).status_code == 403
    assert _client(app, team.hr).get(url).status_code == 403


def test_ratings_racing_at_once_keep_exactly_one(app, team, past_screen):
    from tests.helpers import race_requests

    application = past_screen[0]
    stage = _screen(team.position)
    prefix = f"stage{stage.id}-"
    statuses = race_requests(
        app,
        application.candidate,
        4,
        "post",
        f"/applications/{application.id}/stages/{stage.id}/rating",
        data={prefix + "rating": "4"},
    )
    assert sorted(statuses) == [302, 409, 409, 409]
    assert len(db.session.scalars(select(StageRating)).all()) == 1
