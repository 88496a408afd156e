"""Booking interviews through the services: a screen, a whole loop or nothing, moves and cancellations,
and nobody ever in two interviews at once, also when many bookings race (PostgreSQL and SQLite)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.hiring import process
from portal.hiring import services as hiring
from portal.hiring.models import Application, PanelMember
from portal.scheduling import services as scheduling
from portal.scheduling.models import Interview, InterviewStatus
from tests.helpers import outbox, race
from tests.scheduling.conftest import NOW, at

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _screening(factory, team, email=None) -> Application:
    return factory.application(factory.candidate(email), team.position, advances=1, actor=team.recruiter)


def _interviews(application_id: int) -> list[Interview]:
    return list(
        db.session.scalars(
            select(Interview).where(Interview.application_id == application_id).order_by(Interview.starts_at)
        )
    )


def test_entering_the_recruiter_screen_makes_booking_the_candidates_move(team, factory):
    application = _screening(factory, team)
    assert application.whose_move() == "candidate"
    assert application.sla_due_at() is None  # the clock stands while the candidate chooses a time
    mail = outbox("application_advance")[-1].body_text
    assert "Your move: Choose a time for your recruiter screen." in mail and "You will hear from us" not in mail


def test_the_screen_is_offered_within_the_recruiters_hours_after_the_notice_and_before_the_horizon(team, factory):
    application = _screening(factory, team)
    offer = scheduling.offer(application, now=NOW)
    assert [s.kind for s in offer.steps] == ["recruiter_screen"] and offer.loop_minutes == 30
    assert offer.starts, "the recruiter works nine to five on weekdays"
    assert min(offer.starts) >= NOW + timedelta(hours=24)
    assert max(offer.starts) <= NOW + timedelta(days=21)
    for start in offer.starts:
        local = start.astimezone(AMSTERDAM)
        assert local.weekday() < 5 and 9 * 60 <= local.hour * 60 + local.minute <= 16 * 60 + 30


def test_booking_the_screen_records_it_puts_the_recruiter_on_the_panel_and_hands_the_move_back(team, factory):
    application = _screening(factory, team)
    candidate = application.candidate
    [interview] = scheduling.book(application.id, at(3, 10), candidate, now=NOW)
    assert interview.interviewer_id == team.recruiter.id
    assert (interview.starts_at, interview.ends_at) == (at(3, 10), at(3, 10, 30))
    assert interview.status == InterviewStatus.BOOKED.value and interview.sequence == 0
    assert interview.video_link.startswith("https://") and interview.uid.endswith("@candor")
    assert db.session.get(PanelMember, (application.id, team.recruiter.id)) is not None
    db.session.expire_all()
    assert db.session.get(Application, application.id).whose_move() == "staff"
    # Taken now: no longer offered to anyone else.
    other = _screening(factory, team)
    assert at(3, 10) not in scheduling.offer(other, now=NOW).starts
    # The recruiter keeps a buffer around it.
    assert at(3, 10, 30) not in scheduling.offer(other, now=NOW).starts


def test_a_time_outside_the_offer_is_refused_and_nothing_is_written(team, factory):
    application = _screening(factory, team)
    for start in (
        at(3, 7),
        at(6, 10),
        NOW + timedelta(hours=2),
        NOW + timedelta(days=30),
    ):  # 07:00, a Saturday, too soon, too far, not a start offered
        with pytest.raises(scheduling.SlotTaken):
            scheduling.book(application.id, start, application.candidate, now=NOW)
    assert _interviews(application.id) == []


def test_a_stage_booked_once_cannot_be_booked_twice(team, factory):
    application = _screening(factory, team)
    scheduling.book(application.id, at(3, 10), application.candidate, now=NOW)
    with pytest.raises(scheduling.DomainError):
        scheduling.book(application.id, at(4, 10), application.candidate, now=NOW)
    assert len(_interviews(application.id)) == 1


def test_a_candidate_is_never_in_two_interviews_at_once_across_their_applications(team, factory):
    candidate = factory.candidate()
    first = factory.application(candidate, team.position, advances=1, actor=team.recruiter)
    elsewhere = factory.position(team.recruiter, title="Data Engineer")
    second = factory.application(candidate, elsewhere, advances=1, actor=team.recruiter)
    other_recruiter = factory.staff("recruiter", email="ron@staff.example")
    elsewhere.recruiter_id = other_recruiter.id
    scheduling_staff_week(team, other_recruiter)
    scheduling.book(first.id, at(3, 10), candidate, now=NOW)
    assert at(3, 10) not in scheduling.offer(second, now=NOW).starts
    with pytest.raises(scheduling.SlotTaken):
        scheduling.book(second.id, at(3, 10, 15), candidate, now=NOW)


def scheduling_staff_week(team, person):
    from portal.scheduling import staff
    from tests.scheduling.conftest import NINE_TO_FIVE

    staff.set_weekly_windows(team.recruiter, person, NINE_TO_FIVE)


def test_round_one_books_five_interviews_with_five_people_or_nothing(team, factory):
    application = factory.application(factory.candidate(), team.position, advances=3, actor=team.recruiter)
    assert application.stage.key == "onsite_1"
    offer = scheduling.offer(application, now=NOW)
    assert [s.kind for s in offer.steps] == [
        "coding",
        "whiteboarding",
        "data_structures",
        "system_design",
        "hr_behavioural",
    ]
    start = at(3, 9)
    assert start in offer.starts
    booked = scheduling.book(application.id, start, application.candidate, now=NOW)
    assert len(booked) == 5 and len({i.interviewer_id for i in booked}) == 5
    assert len({i.group_id for i in booked}) == 1
    assert booked[-1].interviewer_id == team.hr.id
    for before, after in zip(booked, booked[1:]):
        assert after.starts_at - before.ends_at == timedelta(minutes=15)
    # A second candidate at the same time: only one HR partner, so no complete loop, and nothing is written.
    other = factory.application(factory.candidate(), team.position, advances=3, actor=team.recruiter)
    with pytest.raises(scheduling.SlotTaken):
        scheduling.book(other.id, start, other.candidate, now=NOW)
    assert _interviews(other.id) == []


def test_rescheduling_moves_the_same_interviews_and_raises_their_sequence(team, factory):
    application = _screening(factory, team)
    [interview] = scheduling.book(application.id, at(3, 10), application.candidate, now=NOW)
    uid, interview_id = interview.uid, interview.id
    moved = scheduling.reschedule(
        interview.group_id, at(4, 14), application.candidate, "A dentist appointment", now=NOW
    )
    assert [i.id for i in moved] == [interview_id]
    db.session.expire_all()
    [after] = _interviews(application.id)
    assert (after.uid, after.starts_at, after.sequence, after.status) == (uid, at(4, 14), 1, "booked")
    with pytest.raises(scheduling.DomainError):
        scheduling.reschedule(after.group_id, at(5, 14), application.candidate, "   ", now=NOW)


def test_a_candidate_cannot_move_or_cancel_after_the_cut_off_but_staff_can(team, factory):
    application = _screening(factory, team)
    [interview] = scheduling.book(application.id, at(3, 10), application.candidate, now=NOW)
    late = at(3, 10) - timedelta(hours=5)
    with pytest.raises(scheduling.DomainError, match="24 hours"):
        scheduling.cancel(interview.group_id, application.candidate, "Ill", now=late)
    scheduling.cancel(interview.group_id, team.recruiter, "Recruiter is ill", now=late)
    db.session.expire_all()
    [after] = _interviews(application.id)
    assert (after.status, after.cancel_reason, after.sequence) == ("cancelled", "Recruiter is ill", 1)
    assert db.session.get(Application, application.id).whose_move() == "candidate"


def test_rejecting_an_application_cancels_its_future_interviews(team, factory):
    application = _screening(factory, team)
    scheduling.book(application.id, at(3, 10), application.candidate, now=NOW)
    hiring.move(application.id, process.Action.REJECT, team.recruiter, feedback="Not this time.")
    db.session.expire_all()
    assert [i.status for i in _interviews(application.id)] == ["cancelled"]


def test_another_candidate_or_an_engineer_cannot_book_for_an_application(team, factory):
    application = _screening(factory, team)
    for outsider in (factory.candidate(), team.engineers[0]):
        with pytest.raises(scheduling.NotAllowed):
            scheduling.book(application.id, at(3, 10), outsider, now=NOW)
    assert _interviews(application.id) == []


# --- races ------------------------------------------------------------------------------------------

RACERS = 20


def test_twenty_candidates_racing_for_one_screen_time_give_exactly_one_booking(team, factory, app):
    ids = [_screening(factory, team).id for _ in range(RACERS)]
    people = {i: db.session.get(Application, i).candidate_id for i in ids}
    start = at(3, 11)
    queue = list(ids)

    def attempt():
        application_id = queue.pop()
        from portal.accounts.models import User

        scheduling.book(application_id, start, db.session.get(User, people[application_id]), now=NOW)

    outcome = race(app, RACERS, attempt, scheduling.SlotTaken)
    assert outcome.count("done") == 1 and outcome.count("refused") == RACERS - 1
    db.session.expire_all()
    held = db.session.scalar(
        select(func.count())
        .select_from(Interview)
        .where(Interview.status == "booked", Interview.interviewer_id == team.recruiter.id)
    )
    assert held == 1


def test_twenty_candidates_racing_for_overlapping_loops_give_exactly_one_loop(team, factory, app):
    ids = [
        factory.application(factory.candidate(), team.position, advances=3, actor=team.recruiter).id
        for _ in range(RACERS)
    ]
    people = {i: db.session.get(Application, i).candidate_id for i in ids}
    # Starts 15 minutes apart: every pair of loops overlaps, and HR is one person.
    starts = {application_id: at(3, 9) + timedelta(minutes=15 * (n % 4)) for n, application_id in enumerate(ids)}
    queue = list(ids)

    def attempt():
        application_id = queue.pop()
        from portal.accounts.models import User

        scheduling.book(application_id, starts[application_id], db.session.get(User, people[application_id]), now=NOW)

    outcome = race(app, RACERS, attempt, scheduling.SlotTaken)
    assert outcome.count("done") == 1
    db.session.expire_all()
    booked = list(db.session.scalars(select(Interview).where(Interview.status == "booked")))
    assert len(booked) == 5 and len({i.application_id for i in booked}) == 1
    _assert_nobody_overlaps(booked)


def _assert_nobody_overlaps(interviews):
    for a in interviews:
        for b in interviews:
            if a.id < b.id and (a.interviewer_id == b.interviewer_id or a.candidate_id == b.candidate_id):
                assert a.ends_at <= b.starts_at or b.ends_at <= a.starts_at, (a.id, b.id)


def test_many_cancellations_of_one_booking_at_once_cancel_it_once(team, factory, app):
    from portal.accounts.models import User
    from portal.audit.models import AuditEntry as AuditEvent

    application = _screening(factory, team)
    candidate_id = application.candidate_id
    [interview] = scheduling.book(application.id, at(3, 10), application.candidate, now=NOW)
    group = interview.group_id
    mails_before = len(outbox("interview_cancelled"))

    def attempt():
        scheduling.cancel(group, db.session.get(User, candidate_id), "Double click", now=NOW)

    outcome = race(app, 6, attempt, scheduling.BookingGone)
    assert outcome.count("done") == 1 and outcome.count("refused") == 5
    db.session.expire_all()
    [after] = _interviews(application.id)
    assert (after.status, after.sequence) == ("cancelled", 1)
    cancelled = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "interview.cancelled")
    )
    assert cancelled == 1
    assert len(outbox("interview_cancelled")) - mails_before == 2  # the candidate and the recruiter, once each


def test_many_moves_of_one_booking_at_once_each_raise_its_sequence(team, factory, app):
    from portal.accounts.models import User

    application = _screening(factory, team)
    candidate_id = application.candidate_id
    [interview] = scheduling.book(application.id, at(3, 10), application.candidate, now=NOW)
    group = interview.group_id
    targets = [at(4, 9), at(4, 10), at(4, 11), at(4, 14), at(4, 15)]
    queue = list(targets)

    def attempt():
        scheduling.reschedule(group, queue.pop(), db.session.get(User, candidate_id), "Clash", now=NOW)

    outcome = race(app, len(targets), attempt, scheduling.SlotTaken)
    assert outcome.count("done") == len(targets)
    db.session.expire_all()
    [after] = _interviews(application.id)
    # Every move read the one before it: none was lost.
    assert after.sequence == len(targets) and after.status == "booked" and after.starts_at in targets
