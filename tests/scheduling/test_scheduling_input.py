"""What hostile or mistaken input to the scheduling pages leaves behind: a clear answer and nothing
written (control characters, invisible reasons, impossible dates and times; a NUL anywhere is refused
at the door, before the page), and what the pages say
about the state they leave (a stage moved on, time granted after booking, days off removed)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.hiring import process
from portal.hiring import services as hiring
from portal.scheduling import services as scheduling
from portal.scheduling.models import AccommodationRequest, AvailabilityWindow, BlockedDay, Interview
from portal.templating import iso
from portal.timeutil import utcnow
from tests.helpers import login, outbox

HOSTILE_REASONS = ["\u200b\u200b", "Ill \u202egnorw", "Ill\x1b[31m", "x" * 501]


@pytest.fixture
def booked(team, factory, client):
    candidate = factory.candidate("casey@cand.example")
    application = factory.application(candidate, team.position, advances=1, actor=team.recruiter)
    [interview] = scheduling.book(application.id, scheduling.offer(application).starts[0], candidate)
    login(client, candidate)
    return application, interview


def _state(interview_id: int):
    db.session.expire_all()
    found = db.session.get(Interview, interview_id)
    return found.status, found.starts_at, found.sequence, found.cancel_reason


def test_a_reason_with_control_or_invisible_characters_is_refused_and_the_booking_stays(booked, client):
    application, interview = booked
    before = _state(interview.id)
    other = scheduling.offer(application, exclude_group=interview.group_id).starts[-1]
    for reason in HOSTILE_REASONS:
        moved = client.post(
            f"/applications/{application.id}/book?move={interview.group_id}",
            data={"start": iso(other), "reason": reason},
        )
        assert moved.status_code == 400, reason
        assert "flash-error" in moved.get_data(as_text=True)
        cancelled = client.post(
            f"/applications/{application.id}/bookings/{interview.group_id}/cancel",
            data={"reason": reason},
            follow_redirects=True,
        )
        assert cancelled.status_code == 200 and "flash-error" in cancelled.get_data(as_text=True), reason
        assert _state(interview.id) == before, reason


def test_a_reason_made_only_of_invisible_characters_counts_as_no_reason(booked, team):
    _, interview = booked
    with pytest.raises(scheduling.DomainError, match="reason"):
        scheduling.cancel(interview.group_id, team.recruiter, "\u200b \u2060")


def test_staff_reasons_are_checked_the_same_way(booked, team, app):
    application, interview = booked
    recruiter = app.test_client()
    login(recruiter, team.recruiter)
    before = _state(interview.id)
    for reason in HOSTILE_REASONS:
        response = recruiter.post(
            f"/staff/applications/{application.id}/bookings/{interview.group_id}/cancel",
            data={"reason": reason},
            follow_redirects=True,
        )
        assert "flash-error" in response.get_data(as_text=True), reason
    assert _state(interview.id) == before


def test_an_accommodation_with_control_characters_is_refused_and_nothing_is_stored(team, factory, client):
    candidate = factory.candidate("ada@cand.example")
    application = factory.application(candidate, team.position, advances=1, actor=team.recruiter)
    login(client, candidate)
    for details in ("Screen\x07 reader", "\u200b"):
        response = client.post(f"/applications/{application.id}/accommodation", data={"details": details})
        assert response.status_code == 400 and 'id="accommodation-error"' in response.get_data(as_text=True), details
    assert db.session.scalar(select(func.count()).select_from(AccommodationRequest)) == 0
    # Line breaks are fine in a description.
    ok = client.post(f"/applications/{application.id}/accommodation", data={"details": "Breaks\r\nplease"})
    assert ok.status_code == 302


@pytest.mark.parametrize(
    "start",
    [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "2027-01-04T10:00:00+25:00",
        "2" * 41,
    ],
)
def test_a_start_outside_what_a_clock_holds_is_a_clear_error(team, factory, client, start):
    candidate = factory.candidate()
    application = factory.application(candidate, team.position, advances=1, actor=team.recruiter)
    login(client, candidate)
    response = client.post(f"/applications/{application.id}/book", data={"start": start})
    assert response.status_code == 400 and "Choose one of the times shown" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Interview)) == 0


# --- the interviewer's availability ----------------------------------------------------------------


@pytest.fixture
def interviewer(team, client):
    person = team.engineers[0]
    login(client, person)
    return person


def _blocked(user) -> list[date]:
    db.session.expire_all()
    return list(db.session.scalars(select(BlockedDay.day).where(BlockedDay.user_id == user.id)))


def test_a_day_off_with_a_hostile_note_or_an_impossible_date_is_refused(interviewer, client):
    today = utcnow().date()
    for day, reason in (
        (today + timedelta(days=3), "Leave\x07"),
        (today + timedelta(days=3), "Leave\u202e"),
        (today - timedelta(days=3), "Leave"),
        (date(9999, 12, 31), "Leave"),
    ):
        response = client.post(
            "/staff/availability", data={"section": "block", "day": day.isoformat(), "reason": reason}
        )
        assert response.status_code == 400, (day, reason)
        assert 'class="field-error" role="alert"' in response.get_data(as_text=True)
    assert _blocked(interviewer) == []


def test_a_day_off_can_be_removed_again(interviewer, client):
    day = utcnow().date() + timedelta(days=5)
    client.post("/staff/availability", data={"section": "block", "day": day.isoformat(), "reason": "Dentist"})
    assert _blocked(interviewer) == [day]
    page = client.get("/staff/availability").get_data(as_text=True)
    assert 'Remove<span class="visually-hidden"> the day off on' in page
    response = client.post("/staff/availability", data={"section": "unblock", "day": day.isoformat()})
    assert response.status_code == 302 and _blocked(interviewer) == []
    again = client.post("/staff/availability", data={"section": "unblock", "day": day.isoformat()})
    assert again.status_code == 400 and "not one of your days off" in again.get_data(as_text=True)


def test_one_off_hours_in_the_past_or_far_ahead_are_refused(interviewer, client):
    today = utcnow().date()
    for on in (today - timedelta(days=1), today + timedelta(days=400), date(9999, 1, 1)):
        response = client.post(
            "/staff/availability",
            data={"section": "dated", "on_date": on.isoformat(), "dated_start": "10:00", "dated_end": "12:00"},
        )
        assert response.status_code == 400, on
    windows = db.session.scalars(
        select(AvailabilityWindow).where(
            AvailabilityWindow.user_id == interviewer.id, AvailabilityWindow.on_date.is_not(None)
        )
    ).all()
    assert windows == []


def test_removing_hours_that_are_not_ones_own_says_so(interviewer, client):
    response = client.post("/staff/availability", data={"section": "remove_dated", "window": "999999"})
    assert response.status_code == 400 and "not one of your one-off hours" in response.get_data(as_text=True)


def test_the_first_feed_address_is_announced_as_new_and_a_second_as_replacing_it(interviewer, client):
    first = client.post("/staff/availability", data={"section": "feed"}, follow_redirects=True)
    assert "address is ready" in first.get_data(as_text=True)
    assert "no longer works" not in first.get_data(as_text=True)
    second = client.post("/staff/availability", data={"section": "feed"}, follow_redirects=True)
    assert "the old one no longer works" in second.get_data(as_text=True)


def test_the_candidate_may_choose_utc(team, factory, client):
    candidate = factory.candidate()
    application = factory.application(candidate, team.position, advances=1, actor=team.recruiter)
    login(client, candidate)
    page = client.get(f"/applications/{application.id}/book?tz=UTC").get_data(as_text=True)
    assert '<option value="UTC" selected>UTC</option>' in page


# --- what the state left says -------------------------------------------------------------------------


def test_moving_on_before_a_stages_interview_cancels_it_and_tells_everyone(booked, team):
    application, interview = booked
    mails = len(outbox("interview_cancelled"))
    hiring.move(application.id, process.Action.ADVANCE, team.recruiter)
    db.session.expire_all()
    assert db.session.get(Interview, interview.id).status == "cancelled"
    assert len(outbox("interview_cancelled")) - mails == 2
    assert "moved on from the recruiter screen" in outbox("interview_cancelled")[-1].body_text


def test_time_granted_after_booking_tells_the_candidate_to_move_the_booked_interview(booked, team, app):
    from portal.scheduling import accommodations

    application, _ = booked
    request = accommodations.ask(application, application.candidate, ["extra_time"], "")
    recruiter = app.test_client()
    login(recruiter, team.recruiter)
    response = recruiter.post(
        f"/staff/applications/{application.id}/accommodations/{request.id}",
        data={"decision": "grant", "extra_minutes": "15", "answer": "Of course."},
        follow_redirects=True,
    )
    assert "booked already keep their length" in response.get_data(as_text=True)
    mail = outbox("accommodation_answered")[-1].body_text
    assert "15 minutes longer" in mail and "already booked keeps its length" in mail


def test_the_caldav_client_does_not_write_responses_into_the_log(app):
    assert logging.getLogger("caldav").getEffectiveLevel() >= logging.WARNING


# --- found by probing the running portal, second round -----------------------------------------------


def test_a_nul_in_an_address_a_query_or_a_field_is_refused_without_a_500(booked, team, app, client):
    application, interview = booked
    anonymous = app.test_client()
    assert anonymous.get("/calendar/%00AAAAAAAAAAAAAAAAAAAAAAAA.ics").status_code == 400
    assert client.get(f"/applications/{application.id}/bookings/abc%00def/invite.ics").status_code == 400
    page = client.get(f"/applications/{application.id}/book?tz=UTC%00", follow_redirects=True)
    assert page.status_code == 200  # an unknown zone: the candidate's own is shown
    recruiter = app.test_client()
    login(recruiter, team.recruiter)
    response = recruiter.post(
        f"/staff/positions/{team.position.id}/schedule", data={"member": team.engineers[0].id, "kinds": "coding\x00"}
    )
    assert response.status_code == 400 and "Unknown interview kinds: coding." in response.get_data(as_text=True)
    moved = client.post(
        f"/applications/{application.id}/book?move={interview.group_id}",
        data={"start": iso(interview.starts_at) + "\x00", "reason": "Train strike"},
    )
    assert moved.status_code == 400 and _state(interview.id)[2] == 0


def test_direction_changing_characters_in_accommodation_texts_are_refused(team, factory, client, app):
    from portal.scheduling import accommodations

    candidate = factory.candidate("ada@cand.example")
    application = factory.application(candidate, team.position, advances=1, actor=team.recruiter)
    login(client, candidate)
    for details in ("late \u202ebus", "late \u2066bus\u2069"):
        response = client.post(
            f"/applications/{application.id}/accommodation", data={"kinds": "extra_time", "details": details}
        )
        assert response.status_code == 400, details
    assert db.session.scalar(select(func.count()).select_from(AccommodationRequest)) == 0
    request = accommodations.ask(application, candidate, ["extra_time"], "Breaks\r\nplease")
    assert request.details == "Breaks\nplease"
    recruiter = app.test_client()
    login(recruiter, team.recruiter)
    for data in (
        {"decision": "grant", "extra_minutes": "15", "answer": "late \u202ebus"},
        {"decision": "maybe", "extra_minutes": "15", "answer": "Fine"},
        {"decision": "grant", "extra_minutes": "١٥", "answer": "Fine"},
    ):
        page = recruiter.post(
            f"/staff/applications/{application.id}/accommodations/{request.id}", data=data, follow_redirects=True
        ).get_data(as_text=True)
        assert "flash-error" in page, data
    db.session.expire_all()
    assert db.session.get(AccommodationRequest, request.id).status == "pending"


def test_a_calendar_address_with_spaces_or_invisible_characters_is_refused(interviewer, client):
    from portal.scheduling.models import SchedulingProfile

    for url in (
        "http://127.0.0.1:9/x.ics\r\nX: y",
        "http://127.0.0.1:9/x late.ics",
        "http://127.0.0.1:9/x\u202elate.ics",
        "http://127.0.0.1:9/x\u200b.ics",
    ):
        response = client.post("/staff/availability/calendar", data={"calendar_kind": "ics", "calendar_url": url})
        assert response.status_code == 400, url
        assert "invisible characters" in response.get_data(as_text=True)
    db.session.expire_all()
    profile = db.session.get(SchedulingProfile, interviewer.id)
    assert profile is None or not profile.calendar_url


def test_numbers_and_times_are_ascii_digits_and_ids_of_any_size_are_refused_cleanly(interviewer, client):
    day = (utcnow().date() + timedelta(days=4)).isoformat()
    for data in (
        {"section": "dated", "on_date": day, "dated_start": "١٠:٠٠", "dated_end": "١٢:٠٠"},
        {"section": "limits", "max_per_day": "٣", "max_per_week": "10"},
        {"section": "remove_dated", "window": "99999999999999999999999"},
        {"section": "remove_dated", "window": "2147483648"},
    ):
        response = client.post("/staff/availability", data=data)
        assert response.status_code == 400, data
    ok = {"section": "dated", "on_date": day, "dated_start": "10:00", "dated_end": "12:00"}
    assert client.post("/staff/availability", data=ok).status_code == 302
    overlapping = dict(ok, dated_start="11:00", dated_end="13:00")
    response = client.post("/staff/availability", data=overlapping)
    assert response.status_code == 400 and "overlap" in response.get_data(as_text=True)
    assert client.post("/staff/availability", data=ok).status_code == 400  # the same hours twice
    windows = db.session.scalars(
        select(AvailabilityWindow).where(
            AvailabilityWindow.user_id == interviewer.id, AvailabilityWindow.on_date.is_not(None)
        )
    ).all()
    assert len(windows) == 1


def test_a_time_on_the_quarter_hour_that_nobody_works_is_not_called_just_taken(team, factory, client):
    candidate = factory.candidate()
    application = factory.application(candidate, team.position, advances=1, actor=team.recruiter)
    login(client, candidate)
    offered = scheduling.offer(application).starts
    # Three in the morning in Amsterdam, inside the horizon: on the grid, but nobody's hours.
    night = offered[0].replace(hour=2, minute=0)
    assert night not in offered
    response = client.post(f"/applications/{application.id}/book", data={"start": iso(night)})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Choose one of the times shown" in page and "just taken" not in page


def test_moving_to_the_time_already_booked_changes_nothing_and_mails_nobody(booked, client):
    application, interview = booked
    mails = len(outbox("interview_moved"))
    response = client.post(
        f"/applications/{application.id}/book?move={interview.group_id}",
        data={"start": iso(interview.starts_at), "reason": "Train strike"},
    )
    assert response.status_code == 400 and "already booked" in response.get_data(as_text=True)
    assert _state(interview.id)[2] == 0 and len(outbox("interview_moved")) == mails


def test_blocking_a_day_with_a_booked_interview_names_it(booked, team, app):
    from portal.timeutil import zone_of

    _, interview = booked
    recruiter = app.test_client()
    login(recruiter, team.recruiter)
    zone = zone_of(team.recruiter)
    day = interview.starts_at.astimezone(zone).date()
    page = recruiter.post(
        "/staff/availability", data={"section": "block", "day": day.isoformat()}, follow_redirects=True
    ).get_data(as_text=True)
    assert "You still have 1 interview booked that day" in page and interview.candidate.name in page
    assert f"{interview.starts_at.astimezone(zone):%H:%M}" in page


def test_the_connect_limit_is_per_account_not_per_office_address(make_app):
    from tests.helpers import Factory

    app = make_app(RATELIMIT_ENABLED=True, CALENDAR_ALLOW_PRIVATE_HOSTS=False)
    with app.app_context():
        first, second = (
            Factory().staff("interviewer", email="kim@staff.example"),
            Factory().staff("interviewer", email="lee@staff.example"),
        )
        kim, lee = app.test_client(), app.test_client()
        login(kim, first)
        login(lee, second)
        data = {"calendar_kind": "ics", "calendar_url": "http://127.0.0.1/x.ics"}
        for _ in range(10):
            kim.post("/staff/availability/calendar", data=data)
        assert kim.post("/staff/availability/calendar", data=data).status_code == 429
        assert lee.post("/staff/availability/calendar", data=data).status_code == 400


def test_staff_mail_about_a_move_names_the_candidate(booked, team):
    application, interview = booked
    later = scheduling.offer(application, exclude_group=interview.group_id).starts[-1]
    scheduling.reschedule(interview.group_id, later, team.recruiter, "Recruiter is ill")
    subjects = {m.to_addr: m.subject for m in outbox("interview_moved")}
    assert subjects[team.recruiter.email] == f"Moved: Recruiter screen with {application.candidate.name}"
