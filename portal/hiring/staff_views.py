"""Staff pages: positions, the pipeline per position, an application and its process actions."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload

from portal.accounts.models import Role, User, UserRole
from portal.errors import DomainError
from portal.extensions import db
from portal.forms import choices, strip_control_characters, whole_number
from portal.hiring import candidate_read, process, queries
from portal.hiring import services as hiring
from portal.hiring.candidate_views import send_cv
from portal.hiring.forms import ANSWER_LABELS, ClosePositionForm, PositionForm, RejectForm, StageActionForm
from portal.hiring.models import Application, ApplicationStatus, Position, PositionStatus
from portal.scheduling import read as scheduling_read
from portal.security import policy
from portal.timeutil import utcnow

bp = Blueprint("staff", __name__, url_prefix="/staff")

PIPELINE_ROLES = (Role.RECRUITER, Role.HIRING_MANAGER)
POSITION_ROLES = (Role.RECRUITER, Role.HIRING_MANAGER, Role.ADMIN)
# Who may open an application: its position's recruiter and hiring manager, and its interview panel.
APPLICATION_ROLES = (Role.RECRUITER, Role.HIRING_MANAGER, Role.INTERVIEWER, Role.HR)


def _managed_position(position_id: int) -> Position:
    position = db.session.get(Position, position_id)
    policy.require(policy.manages_position(current_user, position))
    return position


def visible_application(application_id: int) -> Application:
    """An application the signed-in staff member may open, with its position's stages; 404 otherwise."""
    application = (
        db.session.scalars(
            queries.applications_for_staff(current_user)
            .where(Application.id == application_id)
            .options(*queries.APPLICATION_WITH_STAGES)
        )
        .unique()
        .one_or_none()
    )
    policy.require(application is not None)
    return application


def run_application(application_id: int) -> Application:
    """An application the signed-in person may move (its position's recruiter or hiring manager)."""
    application = db.session.get(Application, application_id)
    policy.require(policy.runs_application(current_user, application))
    return application


@bp.route("/")
@policy.staff(*Role)
def home():
    """The staff start page: what each of the account's roles can do."""
    positions = []
    if current_user.has_role(*POSITION_ROLES):
        positions = db.session.execute(queries.position_rows_for_staff(current_user)).all()
    return render_template("hiring/staff_home.html", positions=positions)


@bp.route("/positions")
@policy.staff(*POSITION_ROLES)
def positions():
    """Positions this account manages."""
    # Each row names its hiring manager: read in the same query, not one query per row; the list
    # shows no stages, so the process is not read at all.
    found = db.session.scalars(
        queries.positions_for_staff(current_user).options(
            joinedload(Position.hiring_manager), lazyload(Position.process)
        )
    ).all()
    return render_template("hiring/staff_positions.html", positions=found)


def _staff_choices(role: Role):
    people = db.session.scalars(
        select(User).join(UserRole).where(UserRole.role == role.value, User.active.is_(True)).order_by(User.name)
    ).unique()
    return choices([(0, "Not assigned")] + [(u.id, u.name) for u in people])


def _position_form(position: Position | None = None) -> PositionForm:
    form = PositionForm(obj=position)
    form.hiring_manager_id.choices = _staff_choices(Role.HIRING_MANAGER)
    form.recruiter_id.choices = _staff_choices(Role.RECRUITER)
    if position is None or position.status != PositionStatus.CLOSED.value:
        # Closing asks what happens to the applications in progress: it has a page of its own.
        form.status.choices = [c for c in form.status.choices if c.value != PositionStatus.CLOSED.value]
    if request.method == "GET" and position is not None:
        form.hiring_manager_id.data = position.hiring_manager_id or 0
        form.recruiter_id.data = position.recruiter_id or 0
    if request.method == "GET" and position is None and current_user.has_role(Role.HIRING_MANAGER):
        form.hiring_manager_id.data = current_user.id
    return form


@bp.route("/positions/new", methods=["GET", "POST"])
@policy.staff(*POSITION_ROLES)
def new_position():
    """Create a position with the default process."""
    form = _position_form()
    if form.validate_on_submit():
        fields = form.fields_for_service()
        if not current_user.has_role(Role.RECRUITER, Role.ADMIN):
            fields["hiring_manager_id"] = current_user.id  # a hiring manager creates their own positions
        position = hiring.create_position(current_user, **fields)
        flash(f"“{position.title}” is created.", "success")
        return redirect(
            url_for("staff.pipeline", position_id=position.id)
            if policy.runs_any_pipeline(current_user)
            else url_for("staff.positions")
        )
    return render_template(
        "hiring/position_form.html", form=form, position=None
    ), 422 if request.method == "POST" else 200


@bp.route("/positions/<int:position_id>/edit", methods=["GET", "POST"])
@policy.staff(*POSITION_ROLES, scoped_to_position=True)
def edit_position(position_id: int):
    """Edit a position's text, team and process settings."""
    position = _managed_position(position_id)
    form = _position_form(position)
    if form.validate_on_submit():
        fields = form.fields_for_service()
        if not current_user.has_role(Role.RECRUITER, Role.ADMIN):
            fields["hiring_manager_id"] = current_user.id
        hiring.update_position(current_user, position, **fields)
        flash("The position is saved.", "success")
        return redirect(url_for("staff.positions"))
    return render_template(
        "hiring/position_form.html", form=form, position=position
    ), 422 if request.method == "POST" else 200


@bp.route("/positions/<int:position_id>/close", methods=["GET", "POST"])
@policy.staff(*POSITION_ROLES, scoped_to_position=True)
def close_position(position_id: int):
    """Close a position to new applications, choosing what happens to the applications in progress."""
    position = _managed_position(position_id)
    in_progress = queries.active_count(position)
    form = ClosePositionForm()
    if position.status == PositionStatus.CLOSED.value:
        flash(f"“{position.title}” is already closed.", "info")
        return redirect(url_for("staff.positions"))
    if form.validate_on_submit():
        try:
            closed = hiring.close_position(
                current_user, position, applications=form.applications.data, message=form.message.data
            )
        except DomainError as exc:
            form.message.errors.append(exc.message)
        else:
            done = f"“{position.title}” is closed to new applications."
            if closed:
                done += f" {closed} application{'s' if closed != 1 else ''} in progress ended; each candidate is told."
            elif in_progress:
                done += " The applications in progress continue."
            flash(done, "info")
            return redirect(url_for("staff.positions"))
    status = 422 if request.method == "POST" else 200
    return render_template("hiring/close_position.html", position=position, form=form, in_progress=in_progress), status


def _int_arg(name: str, default: int = 0) -> int:
    found = whole_number(request.args.get(name, ""))
    return default if found is None else found


@bp.route("/positions/<int:position_id>/pipeline")
@policy.staff(*PIPELINE_ROLES, scoped_to_position=True)
def pipeline(position_id: int):
    """Applications of a position by stage, with search, filters and SLA flags."""
    position = queries.position_with_stages(position_id)
    # Managing a position's settings (admin) does not open its candidates: only who runs its pipeline.
    policy.require(policy.runs_position(current_user, position))
    status = request.args.get("status", ApplicationStatus.ACTIVE.value)
    if status not in {s.value for s in ApplicationStatus} | {""}:
        status = ApplicationStatus.ACTIVE.value
    stage_id = _int_arg("stage")
    q = strip_control_characters(request.args.get("q", "")).strip()[:100]
    overdue = request.args.get("overdue") == "1"
    page = max(1, _int_arg("page", 1))
    result = queries.pipeline(
        position, stage_id=stage_id or None, status=status or None, q=q, overdue=overdue, page=page
    )
    return render_template(
        "hiring/pipeline.html",
        position=position,
        result=result,
        status=status,
        stage_id=stage_id,
        q=q,
        overdue=overdue,
        statuses=list(ApplicationStatus),
    )


@bp.route("/applications/<int:application_id>")
@policy.staff(*APPLICATION_ROLES, scoped_to_position=True)
def application(application_id: int):
    """One application as staff see it, with the actions the process allows now."""
    found = visible_application(application_id)
    # Rendered first, then audited: the audit's commit expires every loaded object, and the page
    # would load them all again. Nothing is sent before the audit entry is written.
    page = application_page(found)
    hiring.record_view(current_user, found, "view")
    return page


def application_page(found: Application, *, refusal: str | None = None, status: int = 200):
    """The staff application page: for its own view, and for actions from it that were refused."""
    bookings = scheduling_read.bookings_of(found.id, include_cancelled=True)
    return render_template(
        "hiring/staff_application.html",
        application=found,
        steps=queries.tracker(found),
        events=candidate_read.timeline_entries(queries.timeline(found), with_actor=True),
        actions=process.allowed_actions(found, current_user),
        next_stage=found.position.process.stage_after(found.stage),
        Action=process.Action,
        answer_labels=ANSWER_LABELS,
        refusal=refusal,
        bookings=bookings,
        # Interviews of the current stage that advancing or rejecting would cancel (and mail about).
        still_booked=scheduling_read.booked_ahead(bookings, found.stage_id),
        accommodations=scheduling_read.accommodations_of(found.id),
        runs=policy.runs_application(current_user, found),
        now=utcnow(),
    ), status


@bp.route("/applications/<int:application_id>/cv")
@policy.staff(*APPLICATION_ROLES, scoped_to_position=True)
def application_cv(application_id: int):
    """Download the candidate's CV (recorded in the audit log; a HEAD reads no content and is not)."""
    found = visible_application(application_id)
    response = send_cv(found)  # a CV that is not there is a 404, and nobody saw it
    if request.method != "HEAD":
        try:
            hiring.record_view(current_user, found, "cv_download")
        except BaseException:
            response.close()  # no download without its audit entry
            raise
    return response


def _act(application_id: int, action: process.Action, done: str):
    """Take a process action from a button; a refusal re-renders the page with the reason (409)."""
    found = run_application(application_id)
    form = StageActionForm()
    if not form.validate_on_submit():
        abort(400)  # no stage, or not a number: the button always sends the stage its page showed
    try:
        hiring.move(found.id, action, current_user, expected_stage_id=form.expected_stage_id())
    except DomainError as exc:
        db.session.expire_all()
        return application_page(visible_application(application_id), refusal=exc.message, status=exc.status)
    flash(done, "success")
    return redirect(url_for("staff.application", application_id=found.id))


@bp.route("/applications/<int:application_id>/advance", methods=["POST"])
@policy.staff(*PIPELINE_ROLES, scoped_to_position=True)
def advance(application_id: int):
    """Move an application to the next stage."""
    return _act(
        application_id,
        process.Action.ADVANCE,
        "The application moved to the next stage; the candidate is told by email.",
    )


@bp.route("/applications/<int:application_id>/hire", methods=["POST"])
@policy.staff(*PIPELINE_ROLES, scoped_to_position=True)
def hire(application_id: int):
    """Record the hire decision: the candidate gets the offer outcome."""
    return _act(application_id, process.Action.HIRE, "Hire recorded; the candidate is told by email.")


@bp.route("/applications/<int:application_id>/reject", methods=["GET", "POST"])
@policy.staff(*PIPELINE_ROLES, scoped_to_position=True)
def reject(application_id: int):
    """Reject with feedback the candidate will read, and the reapply date."""
    found = run_application(application_id)
    form = RejectForm(stage_id=found.stage_id)
    if request.method == "POST" and not re.fullmatch(r"[0-9]{1,9}", request.form.get("stage_id", "")):
        abort(400)  # the form always sends the stage its page showed
    if form.validate_on_submit():
        try:
            hiring.move(
                found.id,
                process.Action.REJECT,
                current_user,
                feedback=form.feedback.data,
                expected_stage_id=form.expected_stage_id(),
            )
        except DomainError as exc:
            form.feedback.errors.append(exc.message)
            # The page shows the application as it is now, and the next submit carries the stage it shows
            # (not the stale one, which would be refused again and again).
            db.session.expire_all()
            found = run_application(application_id)
            form.stage_id.data = str(found.stage_id)
            form.stage_id.raw_data = [form.stage_id.data]
        else:
            flash("The candidate is told, with your feedback and the date they may reapply.", "success")
            return redirect(url_for("staff.application", application_id=found.id))
    status = 422 if request.method == "POST" else 200
    return render_template("hiring/reject.html", application=found, form=form), status
