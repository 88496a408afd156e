"""Take-home pages. Candidates: compare and choose the technical-screen format, read the take-home
overview, start the clock, read the brief and download the starter files. Staff: override the
format with a reason; the assignment library (admins and hiring managers); a position's offer."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts.models import Role
from portal.errors import DomainError
from portal.extensions import db
from portal.files import accepts_upload, send_stored
from portal.forms import EmptyForm, choices
from portal.hiring.candidate_views import own_application
from portal.hiring.models import Position, TechnicalFormat
from portal.hiring.staff_views import application_page, visible_application, run_application
from portal.security import policy
from portal.storage import UploadRejected
from portal.storage.kinds import upload_kind
from portal.takehome import extra_time, grading, library, read, screen, submissions
from portal.takehome.forms import AssignmentForm, ChooseFormatForm, OverrideFormatForm, PositionOfferForm
from portal.takehome.forms import StarterFileForm
from portal.takehome.models import Assignment
from portal.timeutil import utcnow

bp = Blueprint("takehome", __name__)

LIBRARY_ROLES = (Role.ADMIN, Role.HIRING_MANAGER)
POSITION_ROLES = (Role.RECRUITER, Role.HIRING_MANAGER, Role.ADMIN)


# --- candidates ------------------------------------------------------------------------------------


def _screen_or_back(application_id: int):
    """The candidate's own application at its technical screen, or a way back to its page."""
    application = own_application(application_id)
    view = read.technical_screen(application)
    if view is None:
        flash("Your application is not at the technical screen.", "info")
        return application, None, redirect(url_for("candidate.application", application_id=application.id))
    return application, view, None


@bp.route("/applications/<int:application_id>/technical", methods=["GET", "POST"])
@policy.candidate(owns="application")
def choose(application_id: int):
    """Both formats side by side (or the one the position offers), and the choice."""
    application, view, back = _screen_or_back(application_id)
    if back:
        return back
    form = ChooseFormatForm()
    form.technical_format.choices = choices((card.key, card.title) for card in view.formats)
    if request.method == "GET" and view.chosen:
        form.technical_format.data = view.chosen
    error, status = None, 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                screen.choose(application.id, form.technical_format.data, current_user)
            except screen.ChoiceLocked as exc:
                error, status = exc.message, 409
            except DomainError as exc:
                error, status = exc.message, 400
            else:
                if form.technical_format.data == TechnicalFormat.LIVE.value:
                    flash("You chose the live screen. Choose a time that suits you.", "success")
                    return redirect(url_for("scheduling.book", application_id=application.id))
                flash("You chose the take-home. Start it when you are ready.", "success")
                return redirect(url_for("takehome.overview", application_id=application.id))
        else:
            status = 400
        if error:
            form.technical_format.errors = [*form.technical_format.errors, error]
        view = read.technical_screen(own_application(application_id))
    return render_template("takehome/choose.html", view=view, form=form, application=application), status


@bp.route("/applications/<int:application_id>/takehome")
@policy.candidate(owns="application")
def overview(application_id: int):
    """Before the start: time limit, what to hand in, how it is graded. After: the brief and the clock."""
    application, view, back = _screen_or_back(application_id)
    if back:
        return back
    if view.attempt is None:
        return redirect(url_for("takehome.choose", application_id=application.id))
    return _overview_page(application, view)


def _overview_page(
    application,
    view,
    *,
    error: str | None = None,
    upload_error: str | None = None,
    repository_url: str = "",
    time_error: str | None = None,
    reason: str = "",
    status: int = 200,
):
    return render_template(
        "takehome/overview.html",
        application=application,
        view=view,
        attempt=view.attempt,
        form=EmptyForm(),
        error=error,
        upload_error=upload_error,
        repository_url=repository_url,
        time_error=time_error,
        reason=reason,
        now=utcnow(),
    ), status


def _refused(application_id: int, status: int, **shown):
    """The overview again with what was refused, read anew: if the take-home is gone meanwhile (the
    format changed in another tab, the application moved on), the message goes with the way back."""
    application, view, back = _screen_or_back(application_id)
    if back is None and view.attempt is None:
        back = redirect(url_for("takehome.choose", application_id=application.id))
    if back is not None:
        message = shown.get("error") or shown.get("upload_error") or shown.get("time_error")
        if message:
            flash(message, "error")
        return back
    return _overview_page(application, view, status=status, **shown)


@bp.route("/applications/<int:application_id>/takehome/start", methods=["POST"])
@policy.candidate(owns="application")
def start(application_id: int):
    """Start the clock; the server sets the deadline."""
    application, view, back = _screen_or_back(application_id)
    if back:
        return back
    if view.attempt is None:
        return redirect(url_for("takehome.choose", application_id=application.id))
    if not EmptyForm().validate_on_submit():
        return _overview_page(application, view, error="The form expired. Please press Start again.", status=400)
    try:
        screen.start(application.id, current_user)
    except DomainError as exc:
        return _refused(application_id, 409, error=exc.message)
    flash("Your clock has started. The brief and the starter files are below.", "success")
    return redirect(url_for("takehome.overview", application_id=application.id))


@bp.route("/applications/<int:application_id>/takehome/submissions", methods=["POST"])
@accepts_upload("takehome_submission")
@policy.candidate(owns="application")
def submit(application_id: int):
    """Hand in files (several, or one zip) and/or a repository link: a new version each time."""
    application, view, back = _screen_or_back(application_id)
    if back:
        return back
    if view.attempt is None:
        return redirect(url_for("takehome.choose", application_id=application.id))
    repository_url = request.form.get("repository_url", "")
    if not EmptyForm().validate_on_submit():
        return _overview_page(
            application, view, upload_error="The form expired. Please choose the files again.", status=400
        )
    uploads = [submissions.Upload(f.stream, f.filename or "") for f in request.files.getlist("files")]
    try:
        found = submissions.submit(application.id, current_user, uploads, repository_url)
    except submissions.DeadlinePassed as exc:
        return _refused(application_id, 409, upload_error=exc.message, repository_url=repository_url)
    except (UploadRejected, DomainError) as exc:
        return _refused(application_id, 400, upload_error=exc.message, repository_url=repository_url)
    flash(f"Version {found.version} is handed in. Your receipt is below and in your inbox.", "success")
    return redirect(url_for("takehome.receipt", application_id=application.id, version=found.version))


@bp.route("/applications/<int:application_id>/takehome/submissions/<int:version>")
@policy.candidate(owns="application")
def receipt(application_id: int, version: int):
    """The receipt of one version: file names, sizes and SHA-256 checksums."""
    application = own_application(application_id)
    # Once the application has moved on, the take-home it handed in keeps its receipts (the receipt
    # mail links here).
    attempt = (
        screen.open_attempt(application)
        if screen.at_technical_screen(application)
        else grading.graded_attempt(application.id)
    )
    found = next((v for v in submissions.versions_of(attempt.id) if v.version == version), None) if attempt else None
    if found is None:
        abort(404)
    return render_template(
        "takehome/receipt.html", application=application, receipt=submissions.receipt(found, attempt)
    )


@bp.route("/applications/<int:application_id>/takehome/time", methods=["POST"])
@policy.candidate(owns="application")
def ask_time(application_id: int):
    """Ask for more time, with a reason: an accommodation before the start, an extension after."""
    application, view, back = _screen_or_back(application_id)
    if back:
        return back
    if view.attempt is None:
        return redirect(url_for("takehome.choose", application_id=application.id))
    reason = request.form.get("reason", "")
    if not EmptyForm().validate_on_submit():
        return _overview_page(application, view, time_error="The form expired. Please send it again.", status=400)
    try:
        extra_time.ask(application.id, current_user, reason)
    except DomainError as exc:
        return _refused(application_id, 400, time_error=exc.message, reason=reason)
    flash("Your request is sent. Your recruiter answers here and by mail.", "success")
    return redirect(url_for("takehome.overview", application_id=application.id) + "#time-heading")


@bp.route("/applications/<int:application_id>/takehome/files/<int:file_id>")
@policy.candidate(owns="application")
def starter_download(application_id: int, file_id: int):
    """A starter file of the take-home, once its clock has started (before, the brief is closed)."""
    application = own_application(application_id)
    attempt = screen.open_attempt(application) if screen.at_technical_screen(application) else None
    if attempt is None or attempt.started_at is None:
        abort(404)
    return send_stored(library.starter_file(attempt.assignment_id, file_id))


# --- staff: one application ------------------------------------------------------------------------


@bp.route("/staff/applications/<int:application_id>/technical-format", methods=["POST"])
@policy.staff(Role.RECRUITER, Role.HIRING_MANAGER, scoped_to_position=True)
def override(application_id: int):
    """Set the application's technical-screen format, with a reason (audited), also once locked."""
    run_application(application_id)
    form = OverrideFormatForm()
    problem = None
    if form.validate_on_submit():
        try:
            screen.override(application_id, form.technical_format.data, current_user, form.reason.data)
        except DomainError as exc:
            problem = exc.message
    else:
        problem = " ".join(e for errors in form.errors.values() for e in errors) or "The form expired."
    if problem:
        return application_page(visible_application(application_id), refusal=problem, status=400)
    flash("The technical-screen format is changed, and the reason is in the audit log.", "success")
    return redirect(url_for("staff.application", application_id=application_id) + "#technical-heading")


@bp.route("/staff/applications/<int:application_id>/takehome/time/<int:request_id>", methods=["POST"])
@policy.staff(Role.RECRUITER, Role.HIRING_MANAGER, scoped_to_position=True)
def answer_time(application_id: int, request_id: int):
    """Grant more time (the minutes move the deadline) or decline it, with the answer the candidate reads."""
    application = run_application(application_id)
    attempt = screen.open_attempt(application)
    if attempt is None or not any(r.id == request_id for r in extra_time.requests_of(attempt.id)):
        abort(404)
    problem = None
    raw = request.form.get("minutes", "").strip()
    if not EmptyForm().validate_on_submit():
        problem = "The form expired. Please try again."
    elif request.form.get("decision") not in ("grant", "decline"):
        problem = "Choose Grant or Decline."
    elif request.form.get("decision") == "grant" and not (raw.isdigit() and len(raw) < 6):
        problem = "Give the minutes to add, as a whole number."
    else:
        try:
            extra_time.answer(
                request_id,
                current_user,
                grant=request.form["decision"] == "grant",
                minutes=int(raw) if raw.isdigit() and len(raw) < 6 else 0,
                message=request.form.get("answer", ""),
            )
        except DomainError as exc:
            problem = exc.message
    if problem:
        return application_page(visible_application(application_id), refusal=problem, status=400)
    flash("Answered. The candidate is told by mail.", "success")
    return redirect(url_for("staff.application", application_id=application_id) + "#technical-heading")


# --- staff: the assignment library -----------------------------------------------------------------


def _assignment(assignment_id: int) -> Assignment:
    found = db.session.get(Assignment, assignment_id)
    if found is None:
        abort(404)
    return found


@bp.route("/staff/assignments")
@policy.staff(*LIBRARY_ROLES)
def assignments():
    """The library of take-home assignments."""
    return render_template("takehome/assignments.html", assignments=library.all_assignments())


@bp.route("/staff/assignments/new", methods=["GET", "POST"])
@policy.staff(*LIBRARY_ROLES)
def new_assignment():
    """Write a new assignment: brief, limits and rubric."""
    form = AssignmentForm()
    if request.method == "GET":
        form.allowed_types.data = ["zip", "text"]
        form.max_file_mb.data, form.max_total_mb.data, form.max_files.data = 10, 25, 10
        form.time_limit_hours.data, form.start_within_days.data = 4, 7
    if form.validate_on_submit():
        found = library.create_assignment(current_user, form.rubric(), **form.fields_for_service())
        flash(f"“{found.title}” is in the library. Add its starter files below.", "success")
        return redirect(url_for("takehome.edit_assignment", assignment_id=found.id))
    status = 400 if request.method == "POST" else 200
    return render_template("takehome/assignment_form.html", form=form, assignment=None), status


@bp.route("/staff/assignments/<int:assignment_id>", methods=["GET", "POST"])
@policy.staff(*LIBRARY_ROLES)
def edit_assignment(assignment_id: int):
    """Edit an assignment; its starter files are added and removed on the same page."""
    found = _assignment(assignment_id)
    form = AssignmentForm()
    if request.method == "GET":
        form.fill_from(found)
    elif form.validate_on_submit():
        library.update_assignment(current_user, found.id, form.rubric(), **form.fields_for_service())
        flash("The assignment is saved. Take-homes already running keep the time they were given.", "success")
        return redirect(url_for("takehome.edit_assignment", assignment_id=found.id))
    return _assignment_page(found, form, status=400 if request.method == "POST" else 200)


def _assignment_page(found: Assignment, form: AssignmentForm, *, file_form=None, status: int = 200):
    file_form = file_form or StarterFileForm(formdata=None)
    file_form.file.description = f"Text or source code, zip or PDF, up to {upload_kind('takehome_starter').limit_text}."
    return render_template(
        "takehome/assignment_form.html",
        form=form,
        assignment=found,
        file_form=file_form,
        files=library.starter_files(found.id),
    ), status


@bp.route("/staff/assignments/<int:assignment_id>/files", methods=["POST"])
@accepts_upload("takehome_starter")
@policy.staff(*LIBRARY_ROLES)
def add_starter_file(assignment_id: int):
    """Add a starter file (stored and inspected through the storage module)."""
    found = _assignment(assignment_id)
    file_form = StarterFileForm()
    if file_form.validate_on_submit():
        upload = file_form.file.data
        try:
            record = library.add_starter_file(current_user, found.id, upload.stream, upload.filename or "")
        except UploadRejected as exc:
            file_form.file.errors = [*file_form.file.errors, exc.message]
        else:
            flash(f"{record.name} is added.", "success")
            return redirect(url_for("takehome.edit_assignment", assignment_id=found.id) + "#files-heading")
    form = AssignmentForm(formdata=None)
    form.fill_from(found)
    return _assignment_page(found, form, file_form=file_form, status=400)


@bp.route("/staff/assignments/<int:assignment_id>/files/<int:file_id>/delete", methods=["POST"])
@policy.staff(*LIBRARY_ROLES)
def remove_starter_file(assignment_id: int, file_id: int):
    found = _assignment(assignment_id)
    if library.starter_file(found.id, file_id) is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        library.remove_starter_file(current_user, found.id, file_id)
        flash("The file is removed.", "info")
    else:
        flash("The form expired. Please try again.", "error")
    return redirect(url_for("takehome.edit_assignment", assignment_id=found.id) + "#files-heading")


@bp.route("/staff/assignments/<int:assignment_id>/files/<int:file_id>")
@policy.staff(*LIBRARY_ROLES)
def staff_starter_download(assignment_id: int, file_id: int):
    found = _assignment(assignment_id)
    return send_stored(library.starter_file(found.id, file_id))


# --- staff: a position's technical screen ----------------------------------------------------------


@bp.route("/staff/positions/<int:position_id>/technical-screen", methods=["GET", "POST"])
@policy.staff(*POSITION_ROLES, scoped_to_position=True)
def position_offer(position_id: int):
    """Which formats the position's technical screen offers, and the assignment of its take-home."""
    position = db.session.get(Position, position_id)
    policy.require(policy.manages_position(current_user, position))
    form = PositionOfferForm()
    found = library.all_assignments()
    form.assignment_id.choices = choices([(0, "No assignment")] + [(a.id, a.title) for a in found])
    if request.method == "GET":
        current = library.offer_of(position.id)
        form.formats.data = current.formats if current else "both"
        form.assignment_id.data = (current.assignment_id if current else None) or 0
    if form.validate_on_submit():
        try:
            library.set_position_offer(
                current_user, position, formats=form.formats.data, assignment_id=form.assignment_id.data or None
            )
        except DomainError as exc:
            form.assignment_id.errors = [*form.assignment_id.errors, exc.message]
        else:
            flash("The technical screen is saved.", "success")
            return redirect(url_for("takehome.position_offer", position_id=position.id))
    status = 400 if request.method == "POST" else 200
    return render_template("takehome/position_offer.html", form=form, position=position, assignments=found), status


# Blind grading: its routes are on this blueprint, in a module of their own.
from portal.takehome import grading_views  # noqa: E402, F401
