"""Candidate pages: open positions, applying, the dashboard and an application's tracker."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.errors import AlreadyApplied, DomainError
from portal.extensions import db
from portal.forms import EmptyForm
from portal.hiring import candidate_read, process
from portal.hiring import services as hiring
from portal.hiring.forms import ApplyForm
from portal.hiring.models import Application, Position, PositionStatus
from portal.security import policy
from portal.storage.kinds import upload_kind
from portal.files import accepts_upload, send_stored
from portal.storage import UploadRejected

bp = Blueprint("candidate", __name__)


def _visible_position(position_id: int) -> Position:
    position = db.session.get(Position, position_id)
    if position is None or position.status == PositionStatus.DRAFT.value:
        abort(404)
    return position


def own_application(application_id: int) -> Application:
    """One of the signed-in candidate's own applications, or 404."""
    application = db.session.scalar(Application.for_candidate(current_user).where(Application.id == application_id))
    if application is None:
        abort(404)
    return application


@bp.route("/")
@policy.public
def index():
    """The front page: open positions."""
    return positions()


@bp.route("/positions")
@policy.public
def positions():
    """All open positions."""
    return render_template("hiring/positions.html", positions=candidate_read.open_positions())


@bp.route("/positions/<int:position_id>")
@policy.public
def position(position_id: int):
    """One position, its process, and the way to apply."""
    found = candidate_read.visible_position(position_id)
    if found is None:
        abort(404)
    refusal = None
    if policy.is_candidate(current_user):
        refusal = hiring.apply_refusal(current_user, found)
    existing_id = refusal.application_id if isinstance(refusal, AlreadyApplied) else None
    return render_template(
        "hiring/position.html",
        position=found,
        existing_id=existing_id,
        refusal=refusal,
        blocked_until=getattr(refusal, "until", None),
    )


@bp.route("/positions/<int:position_id>/apply", methods=["GET", "POST"])
@accepts_upload("cv")
@policy.candidate()
def apply(position_id: int):
    """Apply to an open position with a CV and short answers."""
    found = _visible_position(position_id)
    try:
        hiring.check_can_apply(current_user, found)
    except DomainError as exc:
        return _apply_blocked(found, exc)
    form = ApplyForm()
    form.cv.description = f"PDF or Word (.docx), up to {upload_kind('cv').limit_text}."
    if form.validate_on_submit():
        upload = form.cv.data
        try:
            application = hiring.apply(
                current_user, found, cv_stream=upload.stream, cv_filename=upload.filename or "", answers=form.answers()
            )
        except UploadRejected as exc:
            form.cv.errors.append(str(exc))
        except DomainError as exc:
            return _apply_blocked(found, exc)
        else:
            flash("Your application is in. You can follow every step here.", "success")
            return redirect(url_for("candidate.application", application_id=application.id))
    status = 422 if request.method == "POST" else 200
    return render_template("hiring/apply.html", position=candidate_read.position_view(found), form=form), status


def _apply_blocked(position: Position, refusal: DomainError):
    """Why this candidate cannot apply now (with the date to come back, after a rejection)."""
    return render_template(
        "hiring/apply_blocked.html",
        position=candidate_read.position_view(position),
        message=refusal.message,
        until=getattr(refusal, "until", None),
    ), refusal.status


@bp.route("/dashboard")
@policy.candidate()
def dashboard():
    """The candidate's applications and where each stands."""
    return render_template("hiring/dashboard.html", applications=candidate_read.applications_for(current_user))


@bp.route("/applications/<int:application_id>")
@policy.candidate(owns="application")
def application(application_id: int):
    """One application: stage tracker, what happens next and by when, and the timeline."""
    found = candidate_read.application_for(current_user, application_id)
    if found is None:
        abort(404)
    return render_template("hiring/application.html", application=found, form=EmptyForm())


@bp.route("/applications/<int:application_id>/cv")
@policy.candidate(owns="application")
def application_cv(application_id: int):
    """Download the CV the candidate sent."""
    found = own_application(application_id)
    return send_cv(found)


@bp.route("/applications/<int:application_id>/withdraw", methods=["POST"])
@policy.candidate(owns="application")
def withdraw(application_id: int):
    """Withdraw an application that is still in progress."""
    found = own_application(application_id)
    if EmptyForm().validate_on_submit():
        try:
            hiring.move(found.id, process.Action.WITHDRAW, current_user)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            flash("Your application is withdrawn. Thank you for your interest.", "info")
    return redirect(url_for("candidate.application", application_id=found.id))


def send_cv(application: Application):
    """The application's CV as a download (404 when it has none)."""
    return send_stored(application.cv_file)
