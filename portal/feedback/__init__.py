"""Scorecards, interview kits, the team's decision, candidate-facing feedback and outcomes (the offer,
the candidate's rating of each stage)."""

from __future__ import annotations

from flask import url_for
from flask_login import current_user


def init_app(app) -> None:
    """Add the kit and scorecard links to the interviewer's interviews, and the staff page's section
    (called once by create_app)."""
    from portal import scheduling
    from portal.feedback import decision, outcome_views, publishing, queries
    from portal.hiring.process import Action

    # Hire only through the decision: a guard of the transition itself, whatever route asks for it.
    app.extensions["candor.process"].add_guard(decision.hire_guard, Action.HIRE)
    # A rejection's feedback is published as the Outcome's, read by the candidate like any other.
    app.extensions["candor.process"].add_effect(publishing.rejection_feedback, Action.REJECT)
    scheduling.add_interview_link(app, kit_link)
    scheduling.add_interview_link(app, scorecard_link)
    app.jinja_env.globals.update(
        scorecards_for_staff=queries.for_staff_page,
        feedback_for_staff=publishing.for_staff_page,
        stage_rating_form=outcome_views.rating_form,
        offer_answer_form=outcome_views.offer_answer_form,
    )


def kit_link(item):
    if item.status == "cancelled":
        return None
    return "Interview kit", url_for("feedback.kit", interview_id=item.id)


def scorecard_link(item):
    """The scorecard of an interview that took place, with its state: to do, draft, overdue, submitted."""
    from portal.feedback import queries
    from portal.feedback.services import SCORED_STATUSES
    from portal.timeutil import utcnow

    now = utcnow()
    if item.status not in SCORED_STATUSES or item.starts_at > now:
        return None
    status = queries.own_scorecard_status(current_user.id, item.id)
    if status == "submitted":
        label = "Scorecard (submitted)"
    elif queries.is_overdue(item.ends_at, status, now):
        label = "Scorecard overdue"
    elif status == "draft":
        label = "Scorecard (draft)"
    else:
        label = "Write the scorecard"
    return label, url_for("feedback.scorecard", interview_id=item.id)
