"""The staff application page warns before a move that would cancel interviews still booked ahead."""

from __future__ import annotations

from portal.scheduling import services as scheduling
from tests.helpers import login


def test_the_staff_page_says_which_booked_interviews_a_move_would_cancel(team, factory, client):
    candidate = factory.candidate("casey@cand.example")
    application = factory.application(candidate, team.position, advances=1, actor=team.recruiter)
    login(client, team.recruiter)
    url = f"/staff/applications/{application.id}"
    assert 'id="still-booked"' not in client.get(url).get_data(as_text=True)
    scheduling.book(application.id, scheduling.offer(application).starts[0], candidate)
    page = client.get(url).get_data(as_text=True)
    assert "1 interview of this stage is still booked ahead" in page
    assert "cancels it and tells the candidate and the interviewers" in page
