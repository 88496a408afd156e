"""The process as data: interview plans as rows, constrained stage kinds, progress within a stage."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.hiring import progress
from portal.hiring.default_process import ensure_default_process
from portal.hiring.models import Application, Stage, TechnicalFormat
from portal.timeutil import add_working_days
from portal.unit_of_work import transaction
from tests.helpers import login


def _plan(stage):
    return [(p.kind_key, p.minutes, p.run_by_role, p.needs_qualification, p.format) for p in stage.interview_plan]


def test_the_default_process_holds_its_interview_plans_as_rows(app):
    with transaction():
        template = ensure_default_process()
    stages = {s.key: s for s in template.stages}
    assert _plan(stages["applied"]) == []
    assert _plan(stages["recruiter_screen"]) == [("recruiter_screen", 30, "recruiter", False, None)]
    assert [p.kind_key for p in stages["onsite_1"].interview_plan] == [
        "coding",
        "whiteboarding",
        "data_structures",
        "system_design",
        "hr_behavioural",
    ]
    assert [p.run_by_role for p in stages["onsite_1"].interview_plan] == ["interviewer"] * 4 + ["hr"]
    assert [p.kind_key for p in stages["onsite_2"].interview_plan] == [
        "hr_culture",
        "hiring_manager",
        "engineering_manager",
    ]
    # The live screen is an interview; the take-home format has none.
    technical = stages["technical_screen"]
    assert [p.kind_key for p in technical.interviews_for(TechnicalFormat.LIVE.value)] == ["live_technical"]
    assert technical.interviews_for(TechnicalFormat.TAKE_HOME.value) == []
    assert all(45 <= p.minutes <= 60 for p in stages["onsite_1"].interview_plan)


def test_a_stage_of_an_unknown_kind_is_refused_by_the_database(app):
    with transaction():
        template = ensure_default_process()
    with pytest.raises(IntegrityError):
        with transaction():
            db.session.execute(text("UPDATE stages SET kind = 'party' WHERE id = :id"), {"id": template.stages[0].id})
    db.session.remove()
    assert {s.kind for s in db.session.scalars(select(Stage))} <= {
        "review",
        "screen",
        "technical",
        "loop",
        "decision",
        "outcome",
    }


def test_a_planned_interview_of_an_unknown_role_or_odd_length_is_refused(app):
    with transaction():
        template = ensure_default_process()
    planned_id = template.stage_by_key("onsite_1").interview_plan[0].id
    for statement in (
        "UPDATE planned_interviews SET run_by_role = 'intern' WHERE id = :id",
        "UPDATE planned_interviews SET minutes = 5 WHERE id = :id",
        "UPDATE planned_interviews SET format = 'carrier_pigeon' WHERE id = :id",
    ):
        with pytest.raises(IntegrityError):
            with transaction():
                db.session.execute(text(statement), {"id": planned_id})
        db.session.remove()


def test_the_response_clock_pauses_while_the_move_is_the_candidates(app, client, factory):
    recruiter = factory.staff("recruiter")
    application = factory.application(actor=recruiter, advances=2)  # technical screen
    promised = add_working_days(application.stage_entered_at, application.position.sla_days)
    # Reaching the technical screen, the candidate chooses its format: their move, the clock stands.
    assert application.sla_due_at() is None and application.whose_move() == "candidate"

    with transaction():
        progress.choose_format(application, TechnicalFormat.TAKE_HOME)
        progress.hand_to_candidate(application, "Upload your work before the deadline.", step="take_home_started")
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert application.whose_move() == "candidate"
    assert application.sla_due_at() is None and not application.sla_overdue(promised + timedelta(days=30))
    login(client, application.candidate)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Your move:" in page and "Upload your work before the deadline." in page
    assert "You will hear from us by" not in page
    assert "Your move:" in client.get("/dashboard").get_data(as_text=True)

    # Three days of the candidate's work later, the team's promise moves by those three days.
    record = progress.progress_of(application)
    record.waiting_since -= timedelta(days=3)
    with transaction():
        progress.hand_to_staff(application, step="take_home_submitted")
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert application.whose_move() == "staff"
    assert application.progress.format == "take_home"
    due = application.sla_due_at()
    assert timedelta(days=3) <= due - promised < timedelta(days=3, minutes=1)
    assert "You will hear from us by" in client.get(f"/applications/{application.id}").get_data(as_text=True)


def test_progress_is_kept_per_stage(app, factory):
    recruiter = factory.staff("recruiter")
    application = factory.application(actor=recruiter, advances=1)
    with transaction():
        progress.hand_to_candidate(application, "Choose a time.")
    from portal.hiring import process
    from portal.hiring import services as hiring

    hiring.move(application.id, process.Action.ADVANCE, recruiter)
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    # A new stage (here the technical screen) starts afresh: the screen's step is not carried over.
    assert application.progress.stage_id == application.stage_id
    assert application.progress.next_action == "Choose live or take-home for your technical screen."


def test_the_overdue_filter_follows_the_paused_clock(app, client, factory):
    from portal.hiring import queries

    recruiter = factory.staff("recruiter")
    position = factory.position(recruiter, sla_days=2)
    # At the first review, where nothing but these steps moves the clock.
    waiting_on_us = factory.application(position=position, actor=recruiter, advances=0)
    candidates_move = factory.application(position=position, actor=recruiter, advances=0)
    was_paused = factory.application(position=position, actor=recruiter, advances=0)
    for application in (waiting_on_us, candidates_move, was_paused):
        application.stage_entered_at -= timedelta(days=10)
    db.session.commit()
    with transaction():
        progress.hand_to_candidate(candidates_move, "Upload your work.")
        record = progress.hand_to_candidate(was_paused, "Upload your work.")
    record.waiting_since -= timedelta(days=9)
    with transaction():
        progress.hand_to_staff(was_paused)  # nine days of the candidate's work: not late yet
    db.session.expire_all()
    page = queries.pipeline(position, stage_id=None, status="active", q="", overdue=True, page=1)
    assert [a.id for a in page.rows] == [waiting_on_us.id]
    for application in (waiting_on_us, candidates_move, was_paused):
        found = db.session.get(Application, application.id)
        assert found.sla_overdue() == (application.id == waiting_on_us.id)
