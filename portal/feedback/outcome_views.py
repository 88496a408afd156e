"""Outcome pages. Staff who run the position: compose and publish a stage's feedback (with the
interviewers' suggestions beside the editor and a preview as the candidate will see it), make the offer,
and read the candidates' ratings of each stage in aggregate. Candidates: answer the offer, rate a stage."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts.models import Role
from portal.errors import DomainError
from portal.extensions import db
from portal.feedback import offers, publishing, read, stage_ratings
from portal.feedback.forms import OfferAnswerForm, OfferForm, StageFeedbackForm, StageRatingForm
from portal.feedback.views import bp
from portal.forms import EmptyForm
from portal.hiring import candidate_read
from portal.hiring.candidate_views import own_application
from portal.hiring.models import Position, Stage
from portal.hiring.staff_views import run_application
from portal.security import policy

RUNNERS = (Role.RECRUITER, Role.HIRING_MANAGER)


def _field_error(field, message: str) -> None:
    field.errors = [*field.errors, message]


# --- staff: a stage's feedback ----------------------------------------------------------------------


def _compose_page(application, stage, form, *, preview=None, error=None, status=200):
    existing = publishing.feedback_of(application.id).get(stage.id)
    return render_template(
        "feedback/compose.html",
        application=application,
        stage=stage,
        form=form,
        existing=existing,
        suggestions=publishing.suggestions(application, stage, current_user),
        preview=preview,
        error=error,
    ), status


@bp.route("/staff/applications/<int:application_id>/feedback/<int:stage_id>", methods=["GET", "POST"])
@policy.staff(*RUNNERS, scoped_to_position=True)
def compose_feedback(application_id: int, stage_id: int):
    """Compose a stage's feedback beside the interviewers' suggestions; preview, save, publish."""
    application = run_application(application_id)
    stage = next((s for s in publishing.composable_stages(application) if s.id == stage_id), None)
    if stage is None:
        abort(404)
    if request.method == "GET":
        existing = publishing.feedback_of(application.id).get(stage.id)
        return _compose_page(application, stage, StageFeedbackForm(data={"body": existing.body if existing else ""}))
    form = StageFeedbackForm()
    action = request.form.get("action", "")
    if action not in ("preview", "save", "publish"):
        return _compose_page(application, stage, form, error="Choose Preview, Save draft or Publish.", status=400)
    if not form.validate_on_submit():
        return _compose_page(application, stage, form, status=400)
    try:
        body = publishing.clean_body(form.body.data)
        if action == "preview":
            shown = read.PublishedFeedback(stage.id, stage.name, body, None, False)
            return _compose_page(application, stage, form, preview=shown)
        if action == "save":
            publishing.save_draft(application.id, stage.id, current_user, body)
            flash("Your draft is saved. The candidate sees nothing until you publish.", "success")
        else:
            publishing.publish(application.id, stage.id, current_user, body)
            flash("Published: the candidate reads it on their application page and is told by email.", "success")
    except DomainError as exc:
        _field_error(form.body, exc.message)
        return _compose_page(application, stage, form, status=exc.status)
    return redirect(url_for("feedback.compose_feedback", application_id=application.id, stage_id=stage.id))


# --- staff: the offer -------------------------------------------------------------------------------


def _offer_page(application, form, *, preview=None, status=200):
    offer = offers.offer_of(application.id)
    return render_template(
        "feedback/offer.html",
        application=application,
        form=form,
        offer=read.offer_view(offer) if offer else None,
        refusal=offers.why_no_offer(application) if offer is None else None,
        outcome=publishing.feedback_of(application.id).get(publishing.outcome_stage(application).id),
        suggestions=_all_suggestions(application),
        preview=preview,
    ), status


def _all_suggestions(application):
    stages = publishing.composable_stages(application)
    found = [publishing.suggestions(application, s, current_user) for s in stages]
    if any(f is None for f in found):
        return None
    return [item for items in found for item in items]


@bp.route("/staff/applications/<int:application_id>/offer", methods=["GET", "POST"])
@policy.staff(*RUNNERS, scoped_to_position=True)
def make_offer(application_id: int):
    """Make the offer after a hire, with the team's feedback; preview it as the candidate will read it."""
    application = run_application(application_id)
    if request.method == "GET":
        return _offer_page(application, OfferForm(data={"role_title": application.position.title}))
    form = OfferForm()
    refusal = offers.why_no_offer(application)
    if refusal:
        return _offer_page(application, form, status=409)
    if not form.validate_on_submit():
        return _offer_page(application, form, status=400)
    if request.form.get("action") == "preview":
        try:
            body = publishing.clean_body(form.feedback.data)
        except DomainError as exc:
            _field_error(form.feedback, exc.message)
            return _offer_page(application, form, status=400)
        stage = publishing.outcome_stage(application)
        return _offer_page(application, form, preview=read.PublishedFeedback(stage.id, stage.name, body, None, True))
    try:
        offers.make(
            application.id,
            current_user,
            role_title=form.role_title.data,
            start_date=form.start_date.data,
            note=form.note.data or "",
            feedback=form.feedback.data,
        )
    except offers.OfferInputRefused as exc:
        _field_error(getattr(form, exc.field), exc.message)
        return _offer_page(application, form, status=exc.status)
    except DomainError as exc:  # made meanwhile (another tab): the page shows the offer that stands
        _field_error(form.feedback, exc.message)
        return _offer_page(application, form, status=exc.status)
    flash("The offer is sent: the candidate answers it in the portal, and you are told by email.", "success")
    return redirect(url_for("feedback.make_offer", application_id=application.id))


# --- staff: the candidates' ratings of each stage, in aggregate ------------------------------------


@bp.route("/staff/positions/<int:position_id>/satisfaction")
@policy.staff(*RUNNERS, scoped_to_position=True)
def satisfaction(position_id: int):
    """How candidates rated each stage of this position: figures only for five answers or more."""
    position = db.session.get(Position, position_id)
    policy.require(position is not None and policy.runs_position(current_user, position))
    return render_template(
        "feedback/satisfaction.html",
        position=position,
        stages=stage_ratings.satisfaction(position),
        scale=stage_ratings.SCALE,
        min_group=stage_ratings.MIN_GROUP,
    )


# --- candidates: answer the offer, rate a stage ----------------------------------------------------


def rating_form(stage_id: int) -> StageRatingForm:
    """The rating form of one stage on the candidate's page (the one sent back, after bad input)."""
    return g.get("rating_forms", {}).get(stage_id) or StageRatingForm(formdata=None, prefix=f"stage{stage_id}")


def offer_answer_form() -> OfferAnswerForm:
    return g.get("offer_answer_form") or OfferAnswerForm(formdata=None)


def _candidate_page(application_id: int, status: int):
    found = candidate_read.application_for(current_user, application_id)
    if found is None:
        abort(404)
    return render_template("hiring/application.html", application=found, form=EmptyForm()), status


@bp.route("/applications/<int:application_id>/offer", methods=["POST"])
@policy.candidate(owns="application")
def answer_offer(application_id: int):
    """Accept or decline the offer, once."""
    application = own_application(application_id)
    if offers.offer_of(application.id) is None:
        abort(404)
    form = OfferAnswerForm()
    if not form.validate_on_submit():
        g.offer_answer_form = form
        return _candidate_page(application.id, 400)
    try:
        offers.answer(application.id, current_user, accept=form.answer.data == "accept")
    except DomainError as exc:
        flash(exc.message, "error")
        return _candidate_page(application.id, exc.status)
    flash(
        "Welcome aboard! Your recruiter is told and will be in touch."
        if form.answer.data == "accept"
        else "Your answer is sent. Thank you for your time with us.",
        "success",
    )
    return redirect(url_for("candidate.application", application_id=application.id))


@bp.route("/applications/<int:application_id>/stages/<int:stage_id>/rating", methods=["POST"])
@policy.candidate(owns="application")
def rate_stage(application_id: int, stage_id: int):
    """Rate a completed stage (1 to 5) with an optional comment, anonymously."""
    application = own_application(application_id)
    if db.session.get(Stage, stage_id) is None:
        abort(404)
    form = StageRatingForm(prefix=f"stage{stage_id}")
    g.rating_forms = {stage_id: form}
    if not form.validate_on_submit():
        return _candidate_page(application.id, 400)
    try:
        stage_ratings.rate(application.id, current_user, stage_id, int(form.rating.data), form.comment.data or "")
    except DomainError as exc:
        if exc.status == 400:
            _field_error(form.comment, exc.message)
        else:
            flash(exc.message, "error")
        return _candidate_page(application.id, exc.status)
    flash("Thank you: your rating helps us make the process better.", "success")
    return redirect(url_for("candidate.application", application_id=application.id) + "#process-feedback-heading")
