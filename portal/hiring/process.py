"""The hiring process as one state machine.

An application is at one stage of its position's process and has a status. Actions move it:

    advance   active, to the next stage; never past Decision (that takes hire or reject)
    reject    active, any stage -> status rejected, with feedback and a reapply date
    withdraw  active, any stage -> status withdrawn, by the candidate
    hire      active, at Decision -> Outcome with status hired (an offer)
    close     active, any stage -> status closed, when its position closes (with a message)

Rejected, withdrawn, hired and closed are final. Every transition records a timeline event, an
audit entry and the candidate's mail in the caller's transaction; nothing else changes a stage.

Capabilities extend the machine without editing it: at start-up they register guards (extra
conditions an action must meet, answering with a structured Refusal) and effects (work done in
the same transaction after an action, such as cancelling future interviews of a rejected
application) on the app's ProcessRules.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app

from portal import audit
from portal.accounts.models import User
from portal.errors import TransitionNotAllowed
from portal.extensions import db
from portal.hiring import candidate_read
from portal.hiring.models import Application, ApplicationStatus, Stage, StageEvent
from portal.notifications.services import queue_mail
from portal.security import policy
from portal.timeutil import add_months, utcnow


class Action(str, enum.Enum):
    ADVANCE = "advance"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    HIRE = "hire"
    CLOSE = "close"

    @property
    def label(self) -> str:
        return {"advance": "Advance", "reject": "Reject", "withdraw": "Withdraw", "hire": "Hire", "close": "Close"}[
            self.value
        ]


# Actions a person takes with a button on an application page; CLOSE comes with closing a position.
BUTTON_ACTIONS = (Action.ADVANCE, Action.REJECT, Action.WITHDRAW, Action.HIRE)


@dataclass(frozen=True)
class Refusal:
    """Why an action may not happen now: a code for programs, a sentence for people, and the
    specifics (what is missing, who dissents) for pages that show them."""

    code: str
    message: str
    missing: tuple[str, ...] = ()
    dissenting: tuple[str, ...] = ()


@dataclass(frozen=True)
class Transition:
    """What an effect receives: the action just taken, inside its transaction."""

    application: Application
    action: Action
    actor: User | None
    event: StageEvent
    from_stage: Stage


Guard = Callable[[Application, Action, "User | None"], "Refusal | None"]
Effect = Callable[[Transition], None]


@dataclass
class ProcessRules:
    """The guards and effects registered by the capabilities of one app."""

    guards: dict[Action, list[Guard]] = field(default_factory=lambda: {a: [] for a in Action})
    effects: dict[Action, list[Effect]] = field(default_factory=lambda: {a: [] for a in Action})

    def add_guard(self, guard: Guard, *actions: Action) -> None:
        for action in actions or tuple(Action):
            self.guards[action].append(guard)

    def add_effect(self, effect: Effect, *actions: Action) -> None:
        for action in actions or tuple(Action):
            self.effects[action].append(effect)


def init_app(app) -> ProcessRules:
    rules = app.extensions["candor.process"] = ProcessRules()
    return rules


def rules() -> ProcessRules:
    return current_app.extensions["candor.process"]


def refusal(application: Application, action: Action, actor: User | None) -> Refusal | None:
    """None if `actor` may take `action` on `application` now, else why not."""
    if not application.is_active:
        return Refusal("closed", f"This application is already closed ({application.status_label.lower()}).")
    if action is Action.WITHDRAW:
        if not policy.owns_application(actor, application):
            return Refusal("not_owner", "Only the candidate can withdraw their application.")
    elif action is Action.CLOSE:
        # Closing comes with closing the position: whoever may close the position (admins too).
        if not policy.manages_position(actor, application.position):
            return Refusal("not_allowed", "You cannot close this position.")
    elif not policy.runs_application(actor, application):
        return Refusal("not_allowed", "You cannot move applications of this position.")
    stage = application.stage
    if action is Action.ADVANCE:
        following = application.position.process.stage_after(stage)
        if following is None or following.is_outcome:
            return Refusal("last_stage", f"{stage.name} is the last step before the outcome: hire or reject instead.")
    if action is Action.HIRE and not stage.is_decision:
        return Refusal(
            "not_at_decision", f"A hire is decided at the Decision stage; this application is at {stage.name}."
        )
    for guard in rules().guards[action]:
        found = guard(application, action, actor)
        if found is not None:
            return found
    return None


def why_not(application: Application, action: Action, actor: User | None) -> str | None:
    found = refusal(application, action, actor)
    return found.message if found else None


def allowed_actions(application: Application, actor: User | None) -> list[Action]:
    """The actions to offer as buttons; transition() checks again when one is taken."""
    return [a for a in BUTTON_ACTIONS if refusal(application, a, actor) is None]


def transition(
    application: Application,
    action: Action | str,
    actor: User | None,
    *,
    feedback: str = "",
    expected_stage_id: int | None = None,
) -> StageEvent:
    """Apply `action`, recording the timeline event, the audit entry and the mail (flushes only).

    The caller holds the application row locked (see services.lock_application) and commits.
    `expected_stage_id` is the stage the actor saw: if the application moved on since, nothing happens.
    """
    action = Action(action)
    if expected_stage_id is not None and expected_stage_id != application.stage_id:
        raise TransitionNotAllowed(
            f"This application changed since you opened the page: it is now at {application.stage.name}"
            f" ({application.status_label.lower()}). Nothing was done.",
            Refusal("stale", "The application changed since the page was opened."),
        )
    found = refusal(application, action, actor)
    if found is not None:
        raise TransitionNotAllowed(found.message, found)
    feedback = (feedback or "").strip()
    if action in (Action.REJECT, Action.CLOSE) and not feedback:
        found = Refusal(
            "feedback_missing",
            "Write feedback for the candidate before rejecting."
            if action is Action.REJECT
            else "Write a message for the candidate.",
            missing=("feedback",),
        )
        raise TransitionNotAllowed(found.message, found)

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
    elif action is Action.CLOSE:
        application.status = ApplicationStatus.CLOSED.value
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
    db.session.flush()
    for effect in rules().effects[action]:
        effect(Transition(application, action, actor, event, before))
    # After the effects, so the mail tells the state they leave (whose move it is, by when).
    queue_mail(
        application.candidate,
        f"application_{action.value}",
        application=candidate_read.for_mail(application),
        candidate_name=application.candidate.name,
        feedback=feedback,
    )
    return event
