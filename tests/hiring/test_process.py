"""The process state machine: allowed moves, refusals, and what every move records."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.errors import TransitionNotAllowed
from portal.extensions import db
from portal.hiring import process
from portal.hiring import services as hiring
from portal.hiring.models import Application, StageEvent
from portal.notifications.models import OutboxMessage
from portal.timeutil import add_months
from tests.feedback.helpers import unanimous_team
from tests.helpers import race

STAGE_KEYS = ["applied", "recruiter_screen", "technical_screen", "onsite_1", "onsite_2", "decision", "outcome"]


def _counts(application_id: int) -> tuple[int, int, int]:
    events = db.session.scalar(
        select(func.count()).select_from(StageEvent).where(StageEvent.application_id == application_id)
    )
    audits = db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.object_type == "applications", AuditEntry.object_id == application_id)
    )
    mails = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    return events, audits, mails


def test_advance_moves_to_next_stage_with_event_audit_and_mail(app, factory):
    recruiter = factory.staff("recruiter")
    application = factory.application(actor=recruiter)
    before = _counts(application.id)
    hiring.move(application.id, process.Action.ADVANCE, recruiter)
    db.session.refresh(application)
    assert application.stage.key == "recruiter_screen"
    events, audits, mails = _counts(application.id)
    assert (events, audits, mails) == (before[0] + 1, before[1] + 1, before[2] + 1)
    event = db.session.scalars(select(StageEvent).order_by(StageEvent.id.desc())).first()
    assert (event.action, event.from_stage.key, event.to_stage.key, event.actor_id) == (
        "advance",
        "applied",
        "recruiter_screen",
        recruiter.id,
    )
    mail = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert mail.to_addr == application.candidate.email and "Recruiter screen" in mail.subject


def test_cannot_advance_past_decision(app, factory):
    recruiter = factory.staff("recruiter")
    application = factory.application(advances=5, actor=recruiter)
    assert application.stage.key == "decision"
    with pytest.raises(TransitionNotAllowed, match="hire or reject"):
        hiring.move(application.id, process.Action.ADVANCE, recruiter)


def test_hire_only_at_decision(app, factory):
    recruiter = factory.staff("recruiter")
    application = factory.application(advances=4, actor=recruiter)
    with pytest.raises(TransitionNotAllowed, match="Decision"):
        hiring.move(application.id, process.Action.HIRE, recruiter)
    hiring.move(application.id, process.Action.ADVANCE, recruiter)
    hiring.move(application.id, process.Action.HIRE, unanimous_team(application))
    db.session.refresh(application)
    assert (application.status, application.stage.key) == ("hired", "outcome")


def test_a_registered_hire_guard_refuses_with_who_dissents(app, factory):
    recruiter = factory.staff("recruiter")
    application = factory.application(advances=5, actor=recruiter)
    seen = []

    def unanimous(found, action, actor):
        seen.append((found.id, action, actor.id))
        return process.Refusal("not_unanimous", "Not every interviewer voted hire.", dissenting=("Dana D",))

    # Everything the feedback capability's own guard asks for is there, so only this guard refuses.
    manager = unanimous_team(application)
    process.rules().add_guard(unanimous, process.Action.HIRE)
    with pytest.raises(TransitionNotAllowed, match="Not every interviewer") as refused:
        hiring.move(application.id, process.Action.HIRE, manager)
    assert refused.value.refusal.code == "not_unanimous"
    assert refused.value.refusal.dissenting == ("Dana D",)
    assert seen[0] == (application.id, process.Action.HIRE, manager.id)
    assert process.Action.HIRE not in process.allowed_actions(db.session.get(Application, application.id), manager)
    # The guard is about hiring: rejecting still works.
    hiring.move(application.id, process.Action.REJECT, recruiter, feedback="Thank you.")


def test_effects_run_after_the_action_in_the_same_transaction(app, factory):
    recruiter = factory.staff("recruiter")
    application = factory.application(actor=recruiter)
    seen = []

    def remember(change):
        seen.append((change.action, change.from_stage.key, change.application.status, change.event.id is not None))

    def fail_on_withdraw(change):
        raise RuntimeError("an effect failed")

    process.rules().add_effect(remember, process.Action.REJECT)
    process.rules().add_effect(fail_on_withdraw, process.Action.WITHDRAW)
    hiring.move(application.id, process.Action.REJECT, recruiter, feedback="Thanks.")
    assert seen == [(process.Action.REJECT, "applied", "rejected", True)]

    other = factory.application(actor=recruiter)
    with pytest.raises(RuntimeError):
        hiring.move(other.id, process.Action.WITHDRAW, other.candidate)
    db.session.expire_all()
    assert db.session.get(Application, other.id).status == "active"  # the effect's failure undid the move


def test_reject_needs_feedback_and_sets_reapply_date(app, factory):
    recruiter = factory.staff("recruiter")
    position = factory.position(recruiter, reapply_cooldown_months=9)
    application = factory.application(position=position, advances=2, actor=recruiter)
    with pytest.raises(TransitionNotAllowed, match="feedback"):
        hiring.move(application.id, process.Action.REJECT, recruiter, feedback="   ")
    hiring.move(application.id, process.Action.REJECT, recruiter, feedback="Strong fundamentals; grow in design.")
    db.session.refresh(application)
    assert application.status == "rejected"
    assert application.stage.key == "technical_screen"  # where it ended
    assert application.reapply_after == add_months(application.closed_at.date(), 9)
    event = application.events[-1]
    assert event.candidate_message == "Strong fundamentals; grow in design."


def test_closed_application_accepts_no_more_moves(app, factory):
    recruiter = factory.staff("recruiter")
    application = factory.application(actor=recruiter)
    hiring.move(application.id, process.Action.WITHDRAW, application.candidate)
    for action in process.Action:
        with pytest.raises(TransitionNotAllowed, match="closed"):
            hiring.move(application.id, action, recruiter, feedback="x")


def test_only_the_owner_withdraws_and_only_pipeline_staff_move(app, factory):
    recruiter = factory.staff("recruiter")
    other_manager = factory.staff("hiring_manager")
    interviewer = factory.staff("interviewer", "hr", "admin")
    application = factory.application(actor=recruiter)
    stranger = factory.candidate()
    with pytest.raises(TransitionNotAllowed):
        hiring.move(application.id, process.Action.WITHDRAW, stranger)
    with pytest.raises(TransitionNotAllowed):
        hiring.move(application.id, process.Action.WITHDRAW, recruiter)
    for actor in (other_manager, interviewer, application.candidate, stranger):
        with pytest.raises(TransitionNotAllowed):
            hiring.move(application.id, process.Action.ADVANCE, actor)


def test_hiring_manager_moves_applications_of_own_position(app, factory):
    manager = factory.staff("hiring_manager")
    position = factory.position(hiring_manager_id=manager.id)
    application = factory.application(position=position)
    hiring.move(application.id, process.Action.ADVANCE, manager)
    assert process.allowed_actions(application, manager) == [process.Action.ADVANCE, process.Action.REJECT]


# ---- property-based: random sequences of actions by random actors ---------------------

ACTORS = ["recruiter", "other_recruiter", "own_manager", "other_manager", "owner", "other_candidate", "interviewer"]
steps = st.lists(
    st.tuples(st.sampled_from(process.BUTTON_ACTIONS), st.sampled_from(ACTORS), st.booleans()),
    min_size=1,
    max_size=12,
)


def _expected(stage_index: int, status: str, action: process.Action, actor: str, feedback: bool):
    """A reference model of the rules: the new (stage_index, status), or None if refused."""
    if status != "active":
        return None
    if action is process.Action.WITHDRAW:
        return (stage_index, "withdrawn") if actor == "owner" else None
    if actor not in ("recruiter", "own_manager"):
        return None
    if action is process.Action.ADVANCE:
        return (stage_index + 1, "active") if stage_index < 5 else None
    if action is process.Action.REJECT:
        return (stage_index, "rejected") if feedback else None
    if action is process.Action.HIRE:
        # Nobody interviewed or voted in these sequences: without the team's unanimous vote there is no hire.
        return None
    raise AssertionError(action)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps)
def test_random_action_sequences_keep_the_process_invariants(app, factory, sequence):
    manager = factory.staff("hiring_manager")
    people = {
        "recruiter": factory.staff("recruiter"),
        "other_recruiter": factory.staff("recruiter"),
        "own_manager": manager,
        "other_manager": factory.staff("hiring_manager"),
        "other_candidate": factory.candidate(),
        "interviewer": factory.staff("interviewer", "hr"),
    }
    position = factory.position(people["recruiter"], hiring_manager_id=manager.id)
    application = factory.application(position=position)
    people["owner"] = application.candidate
    stage_index, status = 0, "active"

    for action, actor, with_feedback in sequence:
        before = _counts(application.id)
        expected = _expected(stage_index, status, action, actor, with_feedback)
        feedback = "Specific, kind feedback." if with_feedback else ""
        if expected is None:
            with pytest.raises(TransitionNotAllowed):
                hiring.move(application.id, action, people[actor], feedback=feedback)
            assert _counts(application.id) == before, "a refused move must change nothing"
        else:
            hiring.move(application.id, action, people[actor], feedback=feedback)
            stage_index, status = expected
            events, audits, mails = _counts(application.id)
            assert (events, audits, mails) == (before[0] + 1, before[1] + 1, before[2] + 1)
        db.session.expire_all()
        current = db.session.get(Application, application.id)
        assert (STAGE_KEYS.index(current.stage.key), current.status) == (stage_index, status)
        assert (current.reapply_after is not None) == (status == "rejected")
        assert (current.closed_at is not None) == (status != "active")

    # The timeline is a chain: every event starts where the previous one ended.
    events = db.session.scalars(
        select(StageEvent).where(StageEvent.application_id == application.id).order_by(StageEvent.id)
    ).all()
    assert events[0].action == "applied"
    for previous, event in zip(events, events[1:]):
        assert event.from_stage_id == previous.to_stage_id
        assert event.to_stage.order >= event.from_stage.order


def test_add_months_clamps_to_month_end():
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 12) == date(2028, 11, 30)


@pytest.mark.parametrize("action", [process.Action.ADVANCE, process.Action.WITHDRAW])
def test_racing_moves_of_one_application_take_effect_once(app, factory, action):
    """Four requests decide on the same state at the same moment: one moves, the others are refused."""
    import threading

    from portal.accounts.models import User

    recruiter = factory.staff("recruiter")
    application = factory.application(actor=recruiter)
    actor_id = application.candidate_id if action is process.Action.WITHDRAW else recruiter.id
    application_id, stage_id = application.id, application.stage_id
    before = _counts(application_id)
    barrier = threading.Barrier(4, timeout=1)

    def decide_together(*_):
        try:
            barrier.wait()  # everyone has read the same state before anyone writes
        except threading.BrokenBarrierError:
            pass  # PostgreSQL's row lock keeps the others from reading until the first commits
        return None

    process.rules().add_guard(decide_together, action)

    def attempt():
        hiring.move(application_id, action, db.session.get(User, actor_id), expected_stage_id=stage_id)

    assert race(app, 4, attempt, TransitionNotAllowed) == ["done", "refused", "refused", "refused"]
    db.session.expire_all()
    assert _counts(application_id) == (before[0] + 1, before[1] + 1, before[2] + 1)
