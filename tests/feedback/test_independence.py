"""Independence: an interviewer sees no other scorecard of an application until every scorecard of
their own for it is submitted; the hiring team sees them side by side, and who is late."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.feedback.models import Scorecard
from portal.hiring.models import Application
from portal.security import policy
from tests.feedback.conftest import held_round
from tests.feedback.helpers import submit
from tests.helpers import login, queries_for


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _scorecard_of(interview) -> Scorecard:
    return db.session.scalar(select(Scorecard).where(Scorecard.interview_id == interview.id))


def test_an_interviewer_sees_no_other_scorecard_until_their_own_is_submitted(app, team, round_one):
    first, second = team.engineers[0], team.engineers[1]
    submit(_client(app, first), round_one.of(first), notes="PRIVATE-NOTE-OF-ENGINEER-ONE")
    theirs = _scorecard_of(round_one.of(first))
    page = f"/staff/applications/{round_one.application.id}"
    waiting = _client(app, second)
    seen = waiting.get(page).get_data(as_text=True)
    assert "PRIVATE-NOTE-OF-ENGINEER-ONE" not in seen
    assert "once your own is submitted" in seen
    # Nor by the scorecard's own address.
    assert waiting.get(f"/staff/scorecards/{theirs.id}").status_code == 404
    # A draft does not count.
    draft = {"private_notes": "mine, unfinished", "action": "draft"}
    assert waiting.post(f"/staff/interviews/{round_one.of(second).id}/scorecard", data=draft).status_code == 302
    assert "PRIVATE-NOTE-OF-ENGINEER-ONE" not in waiting.get(page).get_data(as_text=True)
    assert waiting.get(f"/staff/scorecards/{theirs.id}").status_code == 404
    submit(waiting, round_one.of(second), notes="second opinion")
    assert "PRIVATE-NOTE-OF-ENGINEER-ONE" in waiting.get(page).get_data(as_text=True)
    assert waiting.get(f"/staff/scorecards/{theirs.id}").status_code == 200


def test_nobody_reads_a_draft_but_its_author(app, team, round_one):
    engineer = team.engineers[0]
    draft = {"private_notes": "DRAFT-MARKER", "action": "draft"}
    assert _client(app, engineer).post(f"/staff/interviews/{round_one.of(engineer).id}/scorecard", data=draft)
    scorecard = _scorecard_of(round_one.of(engineer))
    for reader in (team.recruiter, team.manager):
        client = _client(app, reader)
        assert client.get(f"/staff/scorecards/{scorecard.id}").status_code == 404
        assert "DRAFT-MARKER" not in client.get(f"/staff/applications/{round_one.application.id}").get_data(
            as_text=True
        )
    assert _client(app, engineer).get(f"/staff/scorecards/{scorecard.id}").status_code == 200


def test_an_interviewer_with_another_interview_still_to_come_waits_for_that_one_too(app, team, round_one):
    from portal.scheduling.models import Interview

    engineer = team.engineers[0]
    submit(_client(app, team.engineers[1]), round_one.of(team.engineers[1]), notes="OTHER-OPINION")
    submit(_client(app, engineer), round_one.of(engineer))
    page = f"/staff/applications/{round_one.application.id}"
    assert "OTHER-OPINION" in _client(app, engineer).get(page).get_data(as_text=True)
    # The second round books them again: until that scorecard is in, they judge alone once more.
    later = round_one.of(engineer)
    db.session.add(
        Interview(
            application_id=later.application_id,
            stage_id=later.stage_id,
            kind_key="engineering_manager",
            interviewer_id=engineer.id,
            candidate_id=later.candidate_id,
            starts_at=later.starts_at + timedelta(days=20),
            ends_at=later.ends_at + timedelta(days=20),
        )
    )
    db.session.commit()
    assert "OTHER-OPINION" not in _client(app, engineer).get(page).get_data(as_text=True)


def test_a_hiring_manager_who_interviews_waits_like_everyone_else(app, team, factory, kits):
    application = factory.application(factory.candidate(), team.position, advances=3, actor=team.recruiter)
    crew = type(team)(team.position, team.recruiter, [*team.engineers[:3], team.manager], team.hr, team.manager)
    held = held_round(application, crew)
    submit(_client(app, team.engineers[0]), held.of(team.engineers[0]), notes="ENGINEER-VIEW")
    page = f"/staff/applications/{application.id}"
    manager = _client(app, team.manager)
    assert "ENGINEER-VIEW" not in manager.get(page).get_data(as_text=True)
    submit(manager, held.of(team.manager))
    assert "ENGINEER-VIEW" in manager.get(page).get_data(as_text=True)
    # The recruiter, who did not interview, sees them at once.
    assert "ENGINEER-VIEW" in _client(app, team.recruiter).get(page).get_data(as_text=True)


def test_the_rule_as_sql_selects_exactly_the_applications_it_allows_one_by_one(app, team, round_one, factory):
    other = factory.application(factory.candidate(), team.position, advances=3, actor=team.recruiter)
    held_round(other, team, ended_hours_ago=80)  # not at the same time: nobody is in two interviews at once
    submit(_client(app, team.engineers[0]), round_one.of(team.engineers[0]))
    people = [*team.engineers, team.hr, team.recruiter, team.manager, factory.staff("hiring_manager")]
    for person in people:
        by_sql = set(db.session.scalars(select(Application.id).where(policy.submitted_own_scorecard.where(person))))
        one_by_one = {a.id for a in (round_one.application, other) if policy.submitted_own_scorecard(person, a)}
        assert by_sql == one_by_one, person.email
    assert policy.submitted_own_scorecard(team.engineers[0], round_one.application)
    assert not policy.submitted_own_scorecard(team.engineers[0], other)
    assert not policy.submitted_own_scorecard(team.engineers[1], round_one.application)
    assert policy.submitted_own_scorecard(team.recruiter, other)
    assert not policy.submitted_own_scorecard(round_one.application.candidate, round_one.application)


def test_scorecards_late_by_24_hours_are_flagged_for_the_interviewer_and_the_recruiter(app, team, factory, kits):
    late = held_round(
        factory.application(factory.candidate(name="Lata Late"), team.position, advances=3, actor=team.recruiter),
        team,
        ended_hours_ago=25,
    )
    fresh = held_round(
        factory.application(factory.candidate(name="Fay Fresh"), team.position, advances=3, actor=team.recruiter),
        team,
        ended_hours_ago=1,
    )
    engineer = team.engineers[0]
    mine = _client(app, engineer).get("/staff/interviews").get_data(as_text=True)
    assert f'/staff/interviews/{late.of(engineer).id}/scorecard">Scorecard overdue' in mine
    assert f'/staff/interviews/{fresh.of(engineer).id}/scorecard">Write the scorecard' in mine
    recruiter = _client(app, team.recruiter)
    late_page = recruiter.get(f"/staff/applications/{late.application.id}").get_data(as_text=True)
    assert "Not submitted 24 hours after the interview" in late_page and "Engineer 1, Coding" in late_page
    fresh_page = recruiter.get(f"/staff/applications/{fresh.application.id}").get_data(as_text=True)
    assert "Not submitted 24 hours" not in fresh_page and "0 submitted, 5 to come" in fresh_page
    # Submitted, the flag goes.
    submit(_client(app, engineer), late.of(engineer))
    mine = _client(app, engineer).get("/staff/interviews").get_data(as_text=True)
    assert f'/staff/interviews/{late.of(engineer).id}/scorecard">Scorecard (submitted)' in mine
    late_page = recruiter.get(f"/staff/applications/{late.application.id}").get_data(as_text=True)
    assert "Engineer 1, Coding" not in late_page and "1 submitted, 4 to come" in late_page


def test_the_recruiter_sees_every_submitted_scorecard_side_by_side(app, team, round_one):
    interviewers = [*team.engineers[:4], team.hr]
    for index, person in enumerate(interviewers):
        submit(_client(app, person), round_one.of(person), notes=f"NOTE-{index}", rating=str(1 + index % 4))
    page = _client(app, team.recruiter).get(f"/staff/applications/{round_one.application.id}").get_data(as_text=True)
    section = page.split('id="scorecards-heading"')[1]
    for index, person in enumerate(interviewers):
        assert f"NOTE-{index}" in section and person.name in section
    for label in ("Freedom &amp; Responsibility", "Context not Control", "Communication", "Teamwork", "Leadership"):
        assert label in section
    assert "Keeper Test" in section and "Problem solving" in section and "Scalability" in section


def test_the_application_page_reads_scorecards_in_the_same_number_of_queries_for_one_or_five(app, team, round_one):
    client = _client(app, team.recruiter)
    page = f"/staff/applications/{round_one.application.id}"
    submit(_client(app, team.engineers[0]), round_one.of(team.engineers[0]))
    queries_for(client, page)  # the first view after signing in reads the account once more
    one = queries_for(client, page)
    for person in [*team.engineers[1:4], team.hr]:
        submit(_client(app, person), round_one.of(person))
    five = queries_for(client, page)
    assert five == one
