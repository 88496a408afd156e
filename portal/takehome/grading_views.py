"""Blind grading pages. Graders: the take-homes they are asked to grade, and each one's grading page
(brief, rubric, files under neutral names, the grade form) reached by its code alone. Who runs the
application: assigning graders from the position's pool (the grades show on the staff page).

Being a grader opens these pages and nothing else of the application: not its staff page, its CV or
its candidate. Everything a grader's page shows comes from grading_read's models."""

from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts.models import Role, User
from portal.errors import DomainError
from portal.extensions import db
from portal.files import content_disposition, send_stored
from portal.forms import EmptyForm, whole_number
from portal.hiring.staff_views import application_page, visible_application, run_application
from portal.security import policy
from portal.takehome import grading, grading_read
from portal.takehome.forms import SCORE_CHOICES, grade_form
from portal.takehome.models import SCORES, Attempt
from portal.takehome.views import bp

# Anyone who may be in an interviewer pool (the roles of My interviews).
GRADING_ROLES = (Role.INTERVIEWER, Role.RECRUITER, Role.HIRING_MANAGER, Role.HR, Role.ADMIN)


def _graded_by_me(code: str) -> Attempt:
    """The take-home with this code, if the signed-in person is asked to grade it; 404 otherwise
    (for a code that exists and one that does not alike)."""
    attempt = grading.attempt_by_code(code) if re.fullmatch(grading.CODE_PATTERN, code) else None
    policy.require(policy.grades_submission(current_user, attempt))
    return attempt


@bp.route("/staff/grading")
@policy.staff(*GRADING_ROLES)
def to_grade():
    """The take-homes the signed-in person is asked to grade, by code."""
    return render_template("takehome/to_grade.html", tasks=grading_read.tasks_of(current_user))


def _input_from(form, criterion_ids) -> grading.GradeInput:
    def score(criterion_id):
        return whole_number(getattr(form, f"score_{criterion_id}").data or "", max_digits=1)

    return grading.GradeInput(
        scores={cid: score(cid) for cid in criterion_ids},
        comments={cid: getattr(form, f"comment_{cid}").data or "" for cid in criterion_ids},
        recommendation=form.recommendation.data or None,
        comment=form.comment.data or "",
    )


@bp.route("/staff/grading/<code>", methods=["GET", "POST"])
@policy.staff(*GRADING_ROLES)
def grade(code: str):
    """Grade a take-home blind: the brief, the rubric and the files, a score and comment per criterion."""
    attempt = _graded_by_me(code)
    page = grading_read.grader_page(attempt, current_user)
    criteria = attempt.assignment.criteria
    if request.method == "GET" or page.own is not None:
        if request.method == "POST":
            return _grade_page(page, grade_form(criteria), error="Your grade is already submitted.", status=409)
        return _grade_page(page, grade_form(criteria, formdata=None))
    form = grade_form(criteria)
    if not form.validate_on_submit():
        return _grade_page(page, form, status=400)
    try:
        grading.submit_grade(attempt.code, current_user, _input_from(form, page.criterion_ids))
    except grading.GradeRefused as exc:
        for name, problem in exc.problems.items():
            field = getattr(form, name, None)
            if field is not None:
                field.errors = [*field.errors, problem]
        return _grade_page(page, form, status=400)
    except DomainError as exc:
        return _grade_page(page, form, error=exc.message, status=409)
    flash("Your grade is submitted. The other graders' grades are below once they submit theirs.", "success")
    return redirect(url_for("takehome.grade", code=attempt.code))


def _grade_page(page, form, *, error: str | None = None, status: int = 200):
    return render_template(
        "takehome/grade.html", page=page, form=form, error=error, SCORES=SCORES, SCORE_CHOICES=SCORE_CHOICES
    ), status


@bp.route("/staff/grading/<code>/files/<int:number>")
@policy.staff(*GRADING_ROLES)
def grading_file(code: str, number: int):
    """One file of the latest version, as an attachment under a neutral name (the code and its number)."""
    attempt = _graded_by_me(code)
    found = next(
        ((f, record) for f, record in grading_read.graded_files(attempt, current_user) if f.number == number), None
    )
    if found is None:
        abort(404)
    neutral, record = found
    response = send_stored(record)  # a file gone from the store is a 404, and nobody saw it
    # The stored name is the candidate's own (it may carry their name): the grader gets the neutral one.
    response.headers["Content-Disposition"] = content_disposition(neutral.name)
    if request.method != "HEAD":
        try:
            grading.record_download(attempt, current_user, neutral.number)
        except BaseException:
            response.close()  # no download without its audit entry
            raise
    return response


@bp.route("/staff/applications/<int:application_id>/takehome/graders", methods=["POST"])
@policy.staff(Role.RECRUITER, Role.HIRING_MANAGER, scoped_to_position=True)
def assign_grader(application_id: int):
    """Ask someone of the position's interviewer pool to grade the take-home; they are mailed its code."""
    application = run_application(application_id)
    if grading.graded_attempt(application.id) is None:
        abort(404)
    problem = None
    grader_id = whole_number(request.form.get("grader_id", ""))
    if not EmptyForm().validate_on_submit():
        problem = "The form expired. Please try again."
    elif grader_id is None:
        problem = "Choose a grader from the position's interviewer pool."
    else:
        try:
            grading.assign_grader(application.id, current_user, grader_id)
        except DomainError as exc:
            problem = exc.message
    if problem:
        return application_page(visible_application(application_id), refusal=problem, status=400)
    name = db.session.get(User, grader_id).name
    flash(f"{name} is asked to grade it, blind: the mail names the take-home's code alone.", "success")
    return redirect(url_for("staff.application", application_id=application_id) + "#grading-heading")
