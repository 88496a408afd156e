"""An application's timeline: the events services record where a change concerns the candidate, and
the words a candidate (and staff, with who acted) reads for each.

Events are written by the service that makes the change, in its own transaction; these helpers only
add and flush. An event keeps no internal data: its text is built from its action, its stages and
the few plain facts stored with it (`about_at`, shown in the viewer's zone; `detail`).
"""

from __future__ import annotations

from datetime import datetime

from portal.extensions import db
from portal.hiring.models import Application, StageEvent, StageKind, TechnicalFormat
from portal.timeutil import utcnow

INTERVIEW_BOOKED = "interview_booked"
INTERVIEW_MOVED = "interview_moved"
INTERVIEW_CANCELLED = "interview_cancelled"
FORMAT_CHOSEN = "format_chosen"  # by the candidate
FORMAT_SET = "format_set"  # by staff who run the application
TAKEHOME_STARTED = "takehome_started"
TAKEHOME_HANDED_IN = "takehome_handed_in"
TAKEHOME_HANDED_IN_LATE = "takehome_handed_in_late"

FORMAT_NAMES = {
    TechnicalFormat.LIVE.value: "the live technical screen",
    TechnicalFormat.TAKE_HOME.value: "the take-home",
}


def record(
    application: Application,
    action: str,
    actor,
    *,
    about_at: datetime | None = None,
    detail: str = "",
    message: str = "",
    stage_id: int | None = None,
    at: datetime | None = None,
) -> StageEvent:
    """Add one event at the application's current stage (or `stage_id`) to the caller's transaction,
    at `at` (the moment the change records, by default now)."""
    stage_id = stage_id or application.stage_id
    event = StageEvent(
        application_id=application.id,
        action=action,
        from_stage_id=stage_id,
        to_stage_id=stage_id,
        actor_id=getattr(actor, "id", None),
        created_at=at or utcnow(),
        about_at=about_at,
        detail=detail,
        candidate_message=message,
    )
    db.session.add(event)
    db.session.flush()
    return event


def _interviews_of(stage) -> str:
    # A loop is several interviews booked together; every other stage books one.
    if stage is not None and stage.kind == StageKind.LOOP.value:
        return f"{stage.name} interviews"
    return stage.name if stage is not None else "Interview"


def text(event) -> str:
    """What the timeline says for an event (anything with the columns of a StageEvent and its stages).
    Where the event has `about_at`, the page shows that time after the text and a colon, in the viewer's
    zone ("Recruiter screen booked: Thu 24 Dec 2026, 14:00")."""
    action = event.action
    if action == "applied":
        return "Application received"
    if action == "advance":
        return f"Moved to {event.to_stage.name}"
    if action == "reject":
        return f"Not selected at {event.from_stage.name}"
    if action == "withdraw":
        return f"Withdrawn at {event.from_stage.name}"
    if action == "hire":
        return "Offer: the team decided to hire"
    if action == "close":
        return f"Position closed at {event.from_stage.name}"
    if action == "feedback":
        return f"Feedback published for {event.from_stage.name}"
    if action == "offer":
        return "Offer sent"
    if action in ("offer_accepted", "offer_declined"):
        return f"Offer {action.removeprefix('offer_')}"
    if action == INTERVIEW_BOOKED:
        return f"{_interviews_of(event.to_stage)} booked"
    if action == INTERVIEW_MOVED:
        return f"{_interviews_of(event.to_stage)} moved to a new time"
    if action == INTERVIEW_CANCELLED:
        return f"{_interviews_of(event.to_stage)} cancelled"
    if action == FORMAT_CHOSEN:
        return f"Technical screen: chose {FORMAT_NAMES.get(event.detail, 'a format')}"
    if action == FORMAT_SET:
        return f"Technical screen: the hiring team set it to {FORMAT_NAMES.get(event.detail, 'another format')}"
    if action == TAKEHOME_STARTED:
        return "Take-home started, deadline"
    if action in (TAKEHOME_HANDED_IN, TAKEHOME_HANDED_IN_LATE):
        late = " after the deadline" if action == TAKEHOME_HANDED_IN_LATE else ""
        version = f" (version {event.detail})" if event.detail else ""
        return f"Take-home handed in{late}{version}"
    return action.replace("_", " ").capitalize()
