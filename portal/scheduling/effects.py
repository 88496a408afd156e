"""What scheduling does when an application moves: run inside the move's own transaction."""

from __future__ import annotations

from portal.hiring import progress as stage_progress
from portal.hiring.models import StageKind
from portal.hiring.process import Action, Transition
from portal.scheduling import services

CLOSING_ACTIONS = (Action.REJECT, Action.WITHDRAW, Action.CLOSE, Action.HIRE)


def cancel_interviews_of_closed_application(transition: Transition) -> None:
    """An application that ends keeps no future interviews: each is cancelled (and its invite withdrawn)."""
    reason = {
        Action.REJECT: "The application did not continue.",
        Action.WITHDRAW: "The candidate withdrew.",
        Action.CLOSE: "The position closed.",
        Action.HIRE: "The process is complete.",
    }[transition.action]
    services.cancel_future_interviews(transition.application, reason)


def cancel_interviews_of_stage_left(transition: Transition) -> None:
    """Moving on before a stage's interviews took place leaves none of them standing in calendars."""
    services.cancel_future_interviews(
        transition.application,
        f"The application moved on from the {transition.from_stage.name.lower()}.",
        stage_id=transition.from_stage.id,
    )


def ask_candidate_to_book(transition: Transition) -> None:
    """Entering a stage the candidate books (a screen, an on-site round) makes the next move theirs."""
    application = transition.application
    stage = application.stage
    if stage.kind in (StageKind.SCREEN.value, StageKind.LOOP.value) and stage.interview_plan:
        stage_progress.hand_to_candidate(application, f"Choose a time for your {stage.name.lower()}.", step="booking")
