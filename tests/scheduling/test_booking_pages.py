"""The booking pages as a candidate and staff use them: day, time, confirm; the "just taken" answer;
moving and cancelling with a reason; calendar downloads; availability and the private feed."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import vobject
from sqlalchemy import select

from portal.extensions import db
from portal.scheduling import services as scheduling
from portal.scheduling.models import Interview, SchedulingProfile
from portal.templating import iso
from tests.helpers import login
from tests.scheduling.conftest import AMSTERDAM

ZONE = "America/Los_Angeles"  # the candidate's browser; the recruiter keeps Amsterdam hours


@pytest.fixture
def waiting(team, factory, client):
    candidate = factory.candidate("casey@cand.example")
    application = factory.application(candidate, team.position, advances=1, actor=team.recruiter)
    login(client, candidate)
    return application


def _first_free(application):
    return scheduling.offer(application).starts[0]


def test_the_day_list_the_times_of_a_day_and_the_confirmation_show_the_chosen_zone(waiting, client):
    page = client.get(f"/applications/{waiting.id}/book?tz={ZONE}").get_data(as_text=True)
    assert "Choose a day" in page and f'value="{ZONE}" selected' in page
    start = _first_free(waiting)
    local = start.astimezone(__import__("zoneinfo").ZoneInfo(ZONE))
    day = client.get(f"/applications/{waiting.id}/book?tz={ZONE}&day={local.date().isoformat()}").get_data(as_text=True)
    assert f"({ZONE})" in day and f'value="{iso(start)}"' in day and f"> {local:%H:%M}</label>" in day
    confirm = client.get(f"/applications/{waiting.id}/book?tz={ZONE}&start={iso(start)}").get_data(as_text=True)
    assert f"{local:%A %d %B %Y, %H:%M} ({ZONE})" in confirm and "Book this time" in confirm


def test_confirming_books_and_the_application_page_shows_the_interview(waiting, client, team):
    start = _first_free(waiting)
    response = client.post(f"/applications/{waiting.id}/book", data={"start": iso(start), "tz": ZONE})
    assert response.status_code == 302
    [interview] = db.session.scalars(select(Interview).where(Interview.application_id == waiting.id)).all()
    assert interview.starts_at == start and interview.interviewer_id == team.recruiter.id
    page = client.get(f"/applications/{waiting.id}").get_data(as_text=True)
    assert "Recruiter screen with Rita Recruiter (30 minutes)" in page
    assert interview.video_link in page and "Move to another time" in page
    # Booking again is refused: the page sends the candidate to move it instead.
    assert client.get(f"/applications/{waiting.id}/book").status_code == 302


def test_a_time_taken_meanwhile_answers_with_the_nearest_free_times_and_books_nothing(waiting, client, team, factory):
    start = _first_free(waiting)
    rival = factory.application(factory.candidate(), team.position, advances=1, actor=team.recruiter)
    scheduling.book(rival.id, start, rival.candidate)
    response = client.post(f"/applications/{waiting.id}/book", data={"start": iso(start), "tz": ZONE})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "just taken" in page and "The nearest free times" in page
    offered = re.findall(r'name="start" value="([^"]+)"', page)
    assert offered and iso(start) not in offered
    assert db.session.scalars(select(Interview).where(Interview.application_id == waiting.id)).all() == []


def test_a_start_that_is_not_a_time_is_a_clear_error(waiting, client):
    for bad in ("", "tomorrow", "2026-13-01T10:00:00Z", "2027-01-04T10:00:00"):
        response = client.post(f"/applications/{waiting.id}/book", data={"start": bad})
        assert response.status_code in (400, 409), bad
        assert "flash-error" in response.get_data(as_text=True)
    assert db.session.scalars(select(Interview)).all() == []


def test_moving_needs_a_reason_and_keeps_the_booking_until_confirmed(waiting, client):
    starts = scheduling.offer(waiting).starts
    client.post(f"/applications/{waiting.id}/book", data={"start": iso(starts[0])})
    [interview] = db.session.scalars(select(Interview)).all()
    later = starts[-1]
    refused = client.post(
        f"/applications/{waiting.id}/book", data={"start": iso(later), "move": interview.group_id, "reason": ""}
    )
    assert refused.status_code == 400 and "why you are moving" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Interview, interview.id).starts_at == starts[0]
    moved = client.post(
        f"/applications/{waiting.id}/book", data={"start": iso(later), "move": interview.group_id, "reason": "Travel"}
    )
    assert moved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Interview, interview.id).starts_at == later


def test_cancelling_needs_a_reason_then_the_step_can_be_booked_again(waiting, client):
    client.post(f"/applications/{waiting.id}/book", data={"start": iso(_first_free(waiting))})
    [interview] = db.session.scalars(select(Interview)).all()
    client.post(f"/applications/{waiting.id}/bookings/{interview.group_id}/cancel", data={"reason": ""})
    db.session.expire_all()
    assert db.session.get(Interview, interview.id).status == "booked"
    client.post(f"/applications/{waiting.id}/bookings/{interview.group_id}/cancel", data={"reason": "Got an offer"})
    db.session.expire_all()
    assert db.session.get(Interview, interview.id).status == "cancelled"
    assert client.get(f"/applications/{waiting.id}/book").status_code == 200


def test_another_candidate_cannot_see_book_or_cancel_this_application(waiting, client, factory, app):
    client.post(f"/applications/{waiting.id}/book", data={"start": iso(_first_free(waiting))})
    [interview] = db.session.scalars(select(Interview)).all()
    other = app.test_client()
    login(other, factory.candidate("mallory@cand.example"))
    assert other.get(f"/applications/{waiting.id}/book").status_code == 404
    assert (
        other.post(f"/applications/{waiting.id}/bookings/{interview.group_id}/cancel", data={"reason": "x"}).status_code
        == 404
    )
    assert other.get(f"/applications/{waiting.id}/bookings/{interview.group_id}/invite.ics").status_code == 404
    db.session.expire_all()
    assert db.session.get(Interview, interview.id).status == "booked"


def test_the_calendar_download_and_the_interviewers_feed_hold_the_interview(waiting, client, team, app):
    start = _first_free(waiting)
    client.post(f"/applications/{waiting.id}/book", data={"start": iso(start)})
    [interview] = db.session.scalars(select(Interview)).all()
    download = client.get(f"/applications/{waiting.id}/bookings/{interview.group_id}/invite.ics")
    assert download.headers["Content-Type"].startswith("text/calendar")
    event = vobject.readOne(download.get_data(as_text=True)).vevent
    assert event.uid.value == interview.uid and event.dtstart.value.astimezone(start.tzinfo) == start

    recruiter = app.test_client()
    login(recruiter, team.recruiter)
    assert recruiter.post("/staff/availability", data={"section": "feed"}).status_code == 302
    token = db.session.get(SchedulingProfile, team.recruiter.id).feed_token
    feed = app.test_client().get(f"/calendar/{token}.ics")
    assert feed.status_code == 200
    assert [e.uid.value for e in vobject.readOne(feed.get_data(as_text=True)).vevent_list] == [interview.uid]
    # A new address revokes the old one.
    recruiter.post("/staff/availability", data={"section": "feed"})
    assert app.test_client().get(f"/calendar/{token}.ics").status_code == 404
    page = recruiter.get("/staff/interviews").get_data(as_text=True)
    assert "Casey Candidate" in page and "Recruiter screen" in page


def test_weekly_hours_with_an_end_before_the_start_are_refused_and_nothing_changes(team, app):
    client = app.test_client()
    login(client, team.recruiter)
    before = client.get("/staff/availability").get_data(as_text=True)
    assert 'value="09:00"' in before
    response = client.post(
        "/staff/availability",
        data={"section": "weekly", "start_0": "17:00", "end_0": "09:00", "start_1": "10:00", "end_1": "12:00"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Monday: give a start and a later end time" in page and 'value="17:00"' in page
    from portal.scheduling.models import AvailabilityWindow

    windows = db.session.scalars(
        select(AvailabilityWindow).where(AvailabilityWindow.user_id == team.recruiter.id)
    ).all()
    assert sorted((w.weekday, w.start_minute, w.end_minute) for w in windows) == [(d, 540, 1020) for d in range(5)]
    ok = client.post("/staff/availability", data={"section": "weekly", "start_1": "10:00", "end_1": "12:00"})
    assert ok.status_code == 302
    windows = db.session.scalars(
        select(AvailabilityWindow).where(AvailabilityWindow.user_id == team.recruiter.id)
    ).all()
    assert [(w.weekday, w.start_minute, w.end_minute) for w in windows] == [(1, 600, 720)]


def test_the_recruiter_moves_and_cancels_with_a_reason_and_an_interviewer_records_the_outcome(
    waiting, client, team, app, factory
):
    client.post(f"/applications/{waiting.id}/book", data={"start": iso(_first_free(waiting))})
    [interview] = db.session.scalars(select(Interview)).all()
    recruiter = app.test_client()
    login(recruiter, team.recruiter)
    page = recruiter.get(f"/staff/applications/{waiting.id}").get_data(as_text=True)
    assert "Recruiter screen with Rita Recruiter" in page and "Move</a>" in page
    move_page = recruiter.get(f"/staff/applications/{waiting.id}/bookings/{interview.group_id}/move")
    options = re.findall(r'<option value="([^"]+)"', move_page.get_data(as_text=True))
    assert len(options) > 1
    assert (
        recruiter.post(
            f"/staff/applications/{waiting.id}/bookings/{interview.group_id}/move", data={"start": options[-1]}
        ).status_code
        == 400
    )
    moved = recruiter.post(
        f"/staff/applications/{waiting.id}/bookings/{interview.group_id}/move",
        data={"start": options[-1], "reason": "Recruiter travels"},
    )
    assert moved.status_code == 302
    db.session.expire_all()
    assert iso(db.session.get(Interview, interview.id).starts_at) == options[-1]
    # An engineer who is not on this application cannot touch it.
    outsider = app.test_client()
    login(outsider, team.engineers[0])
    assert outsider.get(f"/staff/applications/{waiting.id}/bookings/{interview.group_id}/move").status_code == 403
    assert outsider.post(f"/staff/interviews/{interview.id}/outcome", data={"status": "completed"}).status_code == 404
    # Nobody can record an interview before it starts.
    recruiter.post(f"/staff/interviews/{interview.id}/outcome", data={"status": "completed"})
    db.session.expire_all()
    assert db.session.get(Interview, interview.id).status == "booked"
    recruiter.post(
        f"/staff/applications/{waiting.id}/bookings/{interview.group_id}/cancel", data={"reason": "Role on hold"}
    )
    db.session.expire_all()
    assert db.session.get(Interview, interview.id).status == "cancelled"


def test_a_round_whose_interviews_were_all_held_shows_as_ready_for_review(team, factory, app):
    from datetime import timedelta

    from portal.scheduling.services import record_outcome

    application = factory.application(factory.candidate(), team.position, advances=3, actor=team.recruiter)
    booked = scheduling.book(application.id, scheduling.offer(application).starts[0], application.candidate)
    recruiter = app.test_client()
    login(recruiter, team.recruiter)
    assert "Ready for review" not in recruiter.get(f"/staff/positions/{team.position.id}/pipeline").get_data(
        as_text=True
    )
    after = booked[-1].ends_at + timedelta(minutes=5)
    for interview in booked:
        record_outcome(interview.id, "completed", team.recruiter, now=after)
    assert "Ready for review" in recruiter.get(f"/staff/positions/{team.position.id}/pipeline").get_data(as_text=True)


def test_the_recruiter_keeps_the_pool_of_their_position_and_an_interviewer_cannot(team, app, factory):
    from portal.scheduling.models import PoolMember

    from portal.hiring.services import set_qualifications

    newcomer = factory.staff("interviewer", email="nia@staff.example", name="Nia New")
    set_qualifications(team.recruiter, newcomer, ["coding", "system_design"])
    recruiter = app.test_client()
    login(recruiter, team.recruiter)
    assert (
        recruiter.post(f"/staff/positions/{team.position.id}/schedule", data={"kinds": ["coding"]}).status_code == 400
    )
    assert (
        recruiter.post(
            f"/staff/positions/{team.position.id}/schedule",
            data={"member": newcomer.id, "kinds": ["coding", "no-such"]},
        ).status_code
        == 400
    )
    ok = recruiter.post(
        f"/staff/positions/{team.position.id}/schedule",
        data={"member": newcomer.id, "kinds": ["coding", "system_design"]},
    )
    assert ok.status_code == 302
    rows = db.session.scalars(select(PoolMember.kind_key).where(PoolMember.user_id == newcomer.id)).all()
    assert sorted(rows) == ["coding", "system_design"]
    assert "Nia New</strong>: Coding, System design" in recruiter.get(
        f"/staff/positions/{team.position.id}/schedule"
    ).get_data(as_text=True)
    recruiter.post(f"/staff/positions/{team.position.id}/schedule", data={"member": newcomer.id})
    assert db.session.scalars(select(PoolMember).where(PoolMember.user_id == newcomer.id)).all() == []
    engineer = app.test_client()
    login(engineer, team.engineers[0])
    assert engineer.get(f"/staff/positions/{team.position.id}/schedule").status_code == 403


def test_one_off_hours_on_a_saturday_are_offered_and_can_be_removed(team, app, factory):
    from datetime import date as date_, timedelta as timedelta_

    from portal.scheduling.models import AvailabilityWindow

    recruiter = app.test_client()
    login(recruiter, team.recruiter)
    today = date_.today()
    saturday = today + timedelta_(days=(5 - today.weekday()) % 7 + 7)
    refused = recruiter.post(
        "/staff/availability",
        data={"section": "dated", "on_date": saturday.isoformat(), "dated_start": "12:00", "dated_end": "11:00"},
    )
    assert refused.status_code == 400 and "later end time" in refused.get_data(as_text=True)
    assert (
        recruiter.post(
            "/staff/availability",
            data={"section": "dated", "on_date": saturday.isoformat(), "dated_start": "10:00", "dated_end": "12:00"},
        ).status_code
        == 302
    )
    application = factory.application(factory.candidate(), team.position, advances=1, actor=team.recruiter)
    amsterdam = __import__("zoneinfo").ZoneInfo("Europe/Amsterdam")
    on_saturday = [s for s in scheduling.offer(application).starts if s.astimezone(amsterdam).date() == saturday]
    assert on_saturday and min(s.astimezone(amsterdam).hour for s in on_saturday) == 10
    [window] = db.session.scalars(select(AvailabilityWindow).where(AvailabilityWindow.on_date == saturday)).all()
    recruiter.post("/staff/availability", data={"section": "remove_dated", "window": window.id})
    assert db.session.scalars(select(AvailabilityWindow).where(AvailabilityWindow.on_date == saturday)).all() == []


def test_the_recruiters_move_page_offers_every_free_time_of_the_horizon_by_day(waiting, client, team, app):
    client.post(f"/applications/{waiting.id}/book", data={"start": iso(_first_free(waiting))})
    [interview] = db.session.scalars(select(Interview)).all()
    recruiter = app.test_client()
    login(recruiter, team.recruiter)
    page = recruiter.get(f"/staff/applications/{waiting.id}/bookings/{interview.group_id}/move").get_data(as_text=True)
    options = re.findall(r'<option value="([^"]+)"', page)
    offered = [iso(start) for start in scheduling.offer(waiting, exclude_group=interview.group_id).starts]
    assert options == offered and len(options) > 80  # not cut at the first few days
    groups = re.findall(r'<optgroup label="([^"]+)"', page)
    days = {datetime.fromisoformat(o.replace("Z", "+00:00")).astimezone(AMSTERDAM).date() for o in options}
    assert len(groups) == len(days) > 1
