"""Interviewers see the candidates whose interviews they were booked for, and no other: the panel
comes from real bookings, and leaves nothing behind for an interviewer the booking did not choose."""

from __future__ import annotations

from portal.scheduling import services as scheduling
from tests.helpers import login
from tests.scheduling.conftest import NOW, at


def test_a_booked_loop_opens_the_application_to_its_interviewers_only(app, team, factory):
    application = factory.application(factory.candidate(), team.position, advances=3, actor=team.recruiter)
    booked = scheduling.book(application.id, at(3, 9), application.candidate, now=NOW)
    on_loop = {interview.interviewer_id for interview in booked}
    [left_out] = [engineer for engineer in team.engineers if engineer.id not in on_loop]
    page = f"/staff/applications/{application.id}"
    for engineer in team.engineers:
        client = app.test_client()
        login(client, engineer)
        expected = 404 if engineer is left_out else 200
        assert client.get(page).status_code == expected, engineer.email
        mine = client.get("/staff/interviews").get_data(as_text=True)
        assert (application.candidate.name in mine) == (engineer is not left_out)
    hr = app.test_client()
    login(hr, team.hr)
    assert hr.get(page).status_code == 200


def test_an_interviewer_of_another_candidate_cannot_open_this_one(app, team, factory):
    booked_for = factory.application(factory.candidate(), team.position, advances=3, actor=team.recruiter)
    [first, *_] = scheduling.book(booked_for.id, at(3, 9), booked_for.candidate, now=NOW)
    other = factory.application(factory.candidate(), team.position, advances=3, actor=team.recruiter)
    engineer = next(e for e in team.engineers if e.id == first.interviewer_id)
    client = app.test_client()
    login(client, engineer)
    assert client.get(f"/staff/applications/{booked_for.id}").status_code == 200
    assert client.get(f"/staff/applications/{other.id}").status_code == 404


def test_a_capability_adds_its_own_link_to_each_interview_on_my_interviews(app, team, factory):
    from portal.scheduling import add_interview_link

    application = factory.application(factory.candidate(), team.position, advances=1, actor=team.recruiter)
    [interview] = scheduling.book(application.id, at(3, 10), application.candidate, now=NOW)
    add_interview_link(app, lambda item: ("Interview kit", f"/kits/{item.id}") if item.kind else None)
    add_interview_link(app, lambda item: None)  # nothing to add for this one
    client = app.test_client()
    login(client, team.recruiter)
    page = client.get("/staff/interviews").get_data(as_text=True)
    assert f'href="/kits/{interview.id}">Interview kit' in page
