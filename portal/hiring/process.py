"""The hiring process as one state machine.

An application is at one stage of its position's process and has a status. Actions move it:

    advance   active, to the next stage; never past Decision (that takes hire or reject)
    reject    active, any stage -> status rejected, with feedback and a reapply date
    withdraw  active, any stage -> status withdrawn, by the candidate
    hire      active, at Decision -> Outcome with status hired (an offer)

Rejected, withdrawn and hired are final. Every transition records a timeline event, an audit
entry and the candidate's mail in the caller's transaction; nothing else changes a stage.
"""
from __future__ import annotations

import enum
from collections.abc import Callable

from portal import audit
from portal.accounts.models import User
from portal.errors import TransitionNotAllowed
from portal.extensions import db
from portal.hiring.models import Application, ApplicationStatus, StageEvent
from portal.notifications.services import queue_mail
from portal.security import policy
from portal.timeutil import add_months, utcnow


class Action(str, enum.Enum):
    ADVANCE = "advance"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    HIRE = "hire"

    @property
    def label(self) -> str:
        return {"advance": "Advance", "reject": "Reject", "withdraw": "Withdraw", "hire": "Hire"}[self.value]


# Extra conditions on a hire, added by later capabilities (the unanimous team decision):
# each returns None when the hire may go ahead, or the reason it may not.
HIRE_GUARDS: list[Callable[[Application], str | None]] = []


def why_not(application: Application, action: Action, actor: User | None) -> str | None:
    """None if `actor` may apply `action` to `application` now, else the reason in plain words."""
    if not application.is_active:
        return f"This application is already closed ({application.status_label.lower()})."
    if action is Action.WITHDRAW:
        if not policy.owns_application(actor, application):
            return "Only the candidate can withdraw their application."
        return None
    if not policy.runs_pipeline_of(actor, application.position):
        return "You cannot move applications of this position."
    stage = application.stage
    if action is Action.ADVANCE:
        following = application.position.process.stage_after(stage)
        if following is None or following.is_outcome:
            return f"{stage.name} is the last step before the outcome: hire or reject instead."
        return None
    if action is Action.REJECT:
        return None
    if action is Action.HIRE:
        if not stage.is_decision:
            return f"A hire is decided at the Decision stage; this application is at {stage.name}."
        for guard in HIRE_GUARDS:
            reason = guard(application)
            if reason:
                return reason
        return None
    return "Unknown action."


def allowed_actions(application: Application, actor: User | None) -> list[Action]:
    """The actions to offer as buttons; transition() checks again when one is taken."""
    return [a for a in Action if why_not(application, a, actor) is None]


def transition(application: Application, action: Action | str, actor: User | None, *, feedback: str = "",
               expected_stage_id: int | None = None) -> StageEvent:
    """Apply `action`, recording the timeline event, the audit entry and the mail (flushes only).

    The caller holds the application row locked (see services.lock_application) and commits.
    `expected_stage_id` is the stage the actor saw: if the application moved on since, nothing happens.
    """
    action = Action(action)
    if expected_stage_id is not None and expected_stage_id != application.stage_id:
        raise TransitionNotAllowed(
            f"This application changed since you opened the page: it is now at {application.stage.name}"
            f" ({application.status_label.lower()}). Nothing was done."
        )
    reason = why_not(application, action, actor)
    if reason:
        raise TransitionNotAllowed(reason)
    feedback = (feedback or "").strip()
    if action is Action.REJECT and not feedback:
        raise TransitionNotAllowed("Write feedback for the candidate before rejecting.")

    now = utcnow()
    before = application.stage
    process = application.position.process
    if action is Action.ADVANCE:
        application.stage = process.stage_after(before)
        application.stage_entered_at = now
    elif action is Action.HIRE:
        application.stage = next(s for s in process.stages if s.is_outcome)
        application.stage_entered_at = now
        application.status = ApplicationStatus.HIRED.value
        application.closed_at = now
    elif action is Action.REJECT:
        application.status = ApplicationStatus.REJECTED.value
        application.closed_at = now
        application.reapply_after = add_months(now.date(), application.position.reapply_cooldown_months)
    elif action is Action.WITHDRAW:
        application.status = ApplicationStatus.WITHDRAWN.value
        application.closed_at = now

    event = StageEvent(
        application=application,
        action=action.value,
        from_stage=before,
        to_stage=application.stage,
        actor_id=actor.id if actor else None,
        created_at=now,
        candidate_message=feedback,
    )
    db.session.add(event)
    audit.record(
        f"application.{action.value}",
        application,
        actor=actor,
        from_stage=before.key,
        to_stage=application.stage.key,
        status=application.status,
    )
    queue_mail(
        application.candidate,
        f"application_{action.value}",
        application=application,
        candidate=application.candidate,
        position=application.position,
        stage=application.stage,
        feedback=feedback,
    )
    db.session.flush()
    return event
