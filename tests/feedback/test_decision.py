"""The decision: every on-site interviewer votes with a reason; "hire" is recorded only when the vote
is unanimous and only by the position's hiring manager, through any route; otherwise "not selected"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.errors import TransitionNotAllowed
from portal.extensions import db
from portal.feedback.models import Vote
from portal.hiring import process
from portal.hiring import services as hiring
from portal.hiring.models import Application
from tests.feedback.helpers import submit
from tests.helpers import login, outbox, queries_for
from tests.security.world import table_snapshot


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _panel(team):
    return [*team.engineers[:4], team.hr]


@pytest.fixture
def at_decision(app, team, round_one):
    """Round one held, every scorecard in, the application at the Decision stage."""
    for person in _panel(team):
        submit(_client(app, person), round_one.of(person))
    for _ in range(2):
        hiring.move(round_one.application.id, process.Action.ADVANCE, team.recruiter)
    return round_one.application


def _vote(app, person, application, choice="hire", reason="Ready."):
    return _client(app, person).post(
        f"/staff/applications/{application.id}/decision/vote", data={"choice": choice, "reason": reason}
    )


def _status(application) -> str:
    db.session.expire_all()
    return db.session.get(Application, application.id).status


def test_a_unanimous_vote_lets_the_hiring_manager_record_the_hire(app, team, at_decision):
    for person in _panel(team):
        assert _vote(app, person, at_decision).status_code == 302
    page = _client(app, team.manager).get(f"/staff/applications/{at_decision.id}/decision").get_data(as_text=True)
    assert "Unanimous" in page and "Record: hire" in page
    response = _client(app, team.manager).post(f"/staff/applications/{at_decision.id}/decision/record", data={})
    assert response.status_code == 302 and _status(at_decision) == "hired"
    assert outbox("application_hire")


def test_one_dissent_means_not_selected_with_feedback_and_the_reapply_date(app, team, at_decision):
    for person in _panel(team)[:-1]:
        assert _vote(app, person, at_decision).status_code == 302
    assert _vote(app, team.hr, at_decision, "no_hire", "Not yet ready to lead.").status_code == 302
    manager = _client(app, team.manager)
    page = manager.get(f"/staff/applications/{at_decision.id}/decision").get_data(as_text=True)
    assert "Dissenting" in page and team.hr.name in page and "Not yet ready to lead." in page
    # No hire, by the decision or the hire button.
    assert (
        manager.post(f"/staff/applications/{at_decision.id}/hire", data={"stage_id": at_decision.stage_id}).status_code
        == 409
    )
    with pytest.raises(TransitionNotAllowed) as refused:
        hiring.move(at_decision.id, process.Action.HIRE, team.manager)
    assert refused.value.refusal.dissenting == (team.hr.name,)
    before = table_snapshot()
    response = manager.post(f"/staff/applications/{at_decision.id}/decision/record", data={"feedback": ""})
    assert response.status_code == 409 and "write feedback" in response.get_data(as_text=True)
    assert table_snapshot() == before
    response = manager.post(
        f"/staff/applications/{at_decision.id}/decision/record", data={"feedback": "Thank you: grow as a lead."}
    )
    assert response.status_code == 302
    db.session.expire_all()
    found = db.session.get(Application, at_decision.id)
    assert found.status == "rejected" and found.reapply_after is not None


def test_a_missing_vote_blocks_the_hire_and_names_who_is_missing(app, team, at_decision):
    for person in _panel(team)[1:]:
        assert _vote(app, person, at_decision).status_code == 302
    manager = _client(app, team.manager)
    page = manager.get(f"/staff/applications/{at_decision.id}/decision").get_data(as_text=True)
    assert f"Waiting for: {team.engineers[0].name}" in page
    before = table_snapshot()
    assert manager.post(f"/staff/applications/{at_decision.id}/decision/record", data={}).status_code == 409
    assert (
        manager.post(f"/staff/applications/{at_decision.id}/hire", data={"stage_id": at_decision.stage_id}).status_code
        == 409
    )
    assert table_snapshot() == before
    with pytest.raises(TransitionNotAllowed) as refused:
        hiring.move(at_decision.id, process.Action.HIRE, team.manager)
    assert refused.value.refusal.missing == (team.engineers[0].name,)


def test_nobody_but_the_hiring_manager_records_a_hire_even_when_unanimous(app, team, at_decision):
    for person in _panel(team):
        assert _vote(app, person, at_decision).status_code == 302
    recruiter = _client(app, team.recruiter)
    assert (
        recruiter.post(
            f"/staff/applications/{at_decision.id}/hire", data={"stage_id": at_decision.stage_id}
        ).status_code
        == 409
    )
    assert recruiter.post(f"/staff/applications/{at_decision.id}/decision/record", data={}).status_code == 403
    engineer = _client(app, team.engineers[0])
    assert engineer.post(f"/staff/applications/{at_decision.id}/decision/record", data={}).status_code == 403
    with pytest.raises(TransitionNotAllowed):
        hiring.move(at_decision.id, process.Action.HIRE, team.recruiter)
    assert _status(at_decision) == "active"


def test_the_vote_opens_only_when_every_scorecard_is_in_and_only_for_the_team(app, team, round_one, factory):
    for person in _panel(team)[:-1]:
        submit(_client(app, person), round_one.of(person))
    for _ in range(2):
        hiring.move(round_one.application.id, process.Action.ADVANCE, team.recruiter)
    response = _vote(app, team.engineers[0], round_one.application)
    assert response.status_code == 409 and "once every interviewer has submitted" in response.get_data(as_text=True)
    submit(_client(app, team.hr), round_one.of(team.hr))
    # The hiring manager did not interview: no vote of theirs.
    assert _vote(app, team.manager, round_one.application).status_code == 403
    assert db.session.scalar(select(Vote)) is None
    assert _vote(app, team.engineers[0], round_one.application).status_code == 302


def test_a_vote_without_a_choice_or_reason_is_refused_and_writes_nothing(app, team, at_decision):
    client = _client(app, team.engineers[0])
    before = table_snapshot()
    for data in (
        {"choice": "", "reason": "x"},
        {"choice": "hire", "reason": ""},
        {"choice": "maybe", "reason": "x"},
        {"choice": "hire", "reason": "x" * 501},
        {"choice": "hire", "reason": "a\x00b"},
    ):
        response = client.post(f"/staff/applications/{at_decision.id}/decision/vote", data=data)
        assert response.status_code == 400, data
        assert 'class="field-error"' in response.get_data(as_text=True), data
    assert table_snapshot() == before


def test_the_decision_page_reads_in_the_same_number_of_queries_for_one_voter_or_five(app, team, factory, kits):
    from tests.feedback.conftest import held_round

    small = factory.application(factory.candidate(), team.position, advances=3, actor=team.recruiter)
    crew = type(team)(team.position, team.recruiter, team.engineers[:1], team.hr, team.manager)
    held = held_round(small, crew)
    held.interviews[:] = held.interviews[:1]
    big = factory.application(factory.candidate(), team.position, advances=3, actor=team.recruiter)
    full = held_round(big, team, ended_hours_ago=80)  # the same interviewers, another day
    for round_, people in ((held, team.engineers[:1] + [team.hr]), (full, _panel(team))):
        for person in people:
            interview = next((i for i in round_.interviews if i.interviewer_id == person.id), None)
            if interview is not None:
                submit(_client(app, person), interview)
        for _ in range(2):
            hiring.move(round_.application.id, process.Action.ADVANCE, team.recruiter)
    client = _client(app, team.manager)
    queries_for(client, f"/staff/applications/{small.id}/decision")
    one = queries_for(client, f"/staff/applications/{small.id}/decision")
    five = queries_for(client, f"/staff/applications/{big.id}/decision")
    assert one == five


def test_hr_follows_every_decision_and_its_votes_without_the_reasons(app, team, at_decision, factory):
    candidate_name = at_decision.candidate.name
    for person in _panel(team)[:-1]:
        assert _vote(app, person, at_decision, reason="REASON-MARKER").status_code == 302
    assert _vote(app, team.hr, at_decision, "no_hire", "Not yet ready to lead.").status_code == 302
    # An HR partner on no panel of this candidate.
    partner = _client(app, factory.staff("hr", email="hr.partner@example.com", name="Harper Partner"))
    assert 'href="/staff/decisions"' in partner.get("/staff/").get_data(as_text=True)
    page = partner.get("/staff/decisions")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and candidate_name in text and at_decision.position.title in text
    assert "Open: the team votes" in text and "4 hire, 1 no hire" in text
    assert "REASON-MARKER" not in text and "Not yet ready" not in text and team.hr.name not in text
    manager = _client(app, team.manager)
    record = f"/staff/applications/{at_decision.id}/decision/record"
    assert manager.post(record, data={"feedback": "Thank you: grow as a lead."}).status_code == 302
    assert "Not selected" in partner.get("/staff/decisions").get_data(as_text=True)
    # The list is HR's: an interviewer, the recruiter and the hiring manager are not shown it.
    for person in (team.engineers[0], team.recruiter, team.manager):
        assert _client(app, person).get("/staff/decisions").status_code == 403
