"""Scorecard and interview-kit pages. Interviewers: the kit and the scorecard of each of their own
interviews (from My interviews). The hiring team: a scorecard with its earlier versions, behind the
independence rule. Admins: the kits of every kind of interview."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.accounts.models import Role
from portal.errors import DomainError
from portal.extensions import db
from portal.feedback import queries, services
from portal.feedback.forms import KitForm, RecordDecisionForm, VoteForm, scorecard_form
from portal.feedback.models import (
    KEEPER_ANSWERS,
    RATINGS,
    Competency,
    CompetencyGroup,
    InterviewKit,
    Recommendation,
    Scorecard,
)
from portal.hiring.models import InterviewKind
from portal.scheduling.models import Interview
from portal.security import policy
from portal.timeutil import utcnow

bp = Blueprint("feedback", __name__)

# Anyone who interviews: the same roles as My interviews.
INTERVIEWING_ROLES = (Role.INTERVIEWER, Role.RECRUITER, Role.HIRING_MANAGER, Role.HR, Role.ADMIN)
SCORECARD_READERS = (Role.RECRUITER, Role.HIRING_MANAGER, Role.INTERVIEWER, Role.HR)
BLANK_COMPETENCY_ROWS = 2


def _own_interview(interview_id: int) -> Interview:
    """One of the signed-in interviewer's own interviews, or 404 (whoever else's it is)."""
    interview = db.session.get(Interview, interview_id)
    policy.require(interview is not None and interview.interviewer_id == current_user.id)
    return interview


def _kit_of(kind_key: str):
    kit = db.session.get(InterviewKit, kind_key)
    competencies = db.session.scalars(
        select(Competency)
        .where(
            (Competency.kind_key == kind_key) | Competency.kind_key.is_(None),
            Competency.retired.is_(False),
        )
        .order_by(Competency.order, Competency.id)
    ).all()
    grouped = [(group, [c for c in competencies if c.area == group.value]) for group in CompetencyGroup]
    return kit, [(g, items) for g, items in grouped if items]


@bp.route("/staff/interviews/<int:interview_id>/kit")
@policy.staff(*INTERVIEWING_ROLES)
def kit(interview_id: int):
    """What to probe in this interview, each competency with strong and weak answers, and scenarios."""
    interview = _own_interview(interview_id)
    found, groups = _kit_of(interview.kind_key)
    return render_template("feedback/kit.html", interview=interview, kit=found, groups=groups)


# --- the interviewer's scorecard -------------------------------------------------------------------


def _input_from(form, competencies) -> services.ScorecardInput:
    def rating(competency):
        value = getattr(form, f"rating_{competency.id}").data
        return int(value) if value else None

    return services.ScorecardInput(
        ratings={c.id: rating(c) for c in competencies},
        keeper_test=form.keeper_test.data or None,
        recommendation=form.recommendation.data or None,
        private_notes=(form.private_notes.data or "").strip(),
        strengths=(form.strengths.data or "").strip(),
        growth_areas=(form.growth_areas.data or "").strip(),
    )


def _prefill(scorecard: Scorecard) -> dict:
    values = {
        "keeper_test": scorecard.keeper_test,
        "recommendation": scorecard.recommendation,
        "private_notes": scorecard.private_notes,
        "strengths": scorecard.strengths,
        "growth_areas": scorecard.growth_areas,
    }
    for rating in scorecard.ratings:
        values[f"rating_{rating.competency_id}"] = str(rating.rating) if rating.rating else None
    return values


@bp.route("/staff/interviews/<int:interview_id>/scorecard", methods=["GET", "POST"])
@policy.staff(*INTERVIEWING_ROLES)
def scorecard(interview_id: int):
    """Fill in, save as a draft and submit the scorecard of one's own interview; amend it with a reason."""
    interview = _own_interview(interview_id)
    existing = services.scorecard_of(interview)
    closed = services.why_closed(interview)
    competencies = services.competencies_for(interview.kind_key, existing)
    amending = bool(existing and existing.is_submitted)
    if request.method == "GET":
        form = scorecard_form(competencies, amending=amending, data=_prefill(existing) if existing else None)
        return _scorecard_page(interview, existing, competencies, form, closed=closed)
    form = scorecard_form(competencies, amending=amending)
    if closed:
        return _scorecard_page(interview, existing, competencies, form, closed=closed, error=closed, status=409)
    if not form.validate_on_submit():
        return _scorecard_page(interview, existing, competencies, form, status=400)
    action = request.form.get("action", "")
    data = _input_from(form, competencies)
    try:
        if amending:
            services.amend(interview.id, current_user, data, form.reason.data)
            message = "Your amendment is saved; the earlier version is kept with your reason."
        elif action in ("draft", "submit"):
            services.save(interview.id, current_user, data, submit=action == "submit")
            message = "Your scorecard is submitted." if action == "submit" else "Your draft is saved."
        else:
            return _scorecard_page(
                interview, existing, competencies, form, error="Choose Save draft or Submit.", status=400
            )
    except services.Incomplete as exc:
        for name, problem in exc.missing.items():
            field = getattr(form, name, None)
            if field is not None:
                field.errors = [*field.errors, problem]
        return _scorecard_page(interview, existing, competencies, form, error=exc.message, status=400)
    except DomainError as exc:
        return _scorecard_page(interview, existing, competencies, form, error=exc.message, status=409)
    flash(message, "success")
    return redirect(url_for("feedback.scorecard", interview_id=interview.id))


def _scorecard_page(interview, existing, competencies, form, *, closed=None, error=None, status=200):
    groups = [(g, [c for c in competencies if c.area == g.value]) for g in CompetencyGroup]
    return render_template(
        "feedback/scorecard.html",
        interview=interview,
        application=interview.application,
        scorecard=existing,
        groups=[(g, items) for g, items in groups if items],
        form=form,
        closed=closed,
        error=error,
        overdue=queries.is_overdue(interview.ends_at, existing.status if existing else None) and not closed,
    ), status


# --- the hiring team reads a scorecard -------------------------------------------------------------


@bp.route("/staff/scorecards/<int:scorecard_id>")
@policy.staff(*SCORECARD_READERS)
def read_scorecard(scorecard_id: int):
    """One scorecard with its earlier versions and the reasons for each amendment."""
    found = db.session.get(Scorecard, scorecard_id)
    if found is None:
        abort(404)
    application = found.interview.application
    own = found.interviewer_id == current_user.id
    # Someone else's scorecard: submitted, and the independence rule lets this person see it.
    policy.require(
        own
        or (
            found.is_submitted
            and policy.sees_application(current_user, application)
            and policy.submitted_own_scorecard(current_user, application)
        )
    )
    competencies = {c.id: c for c in services.competencies_for(found.kind_key, found)}
    ratings = [(competencies[r.competency_id], r.rating) for r in found.ratings if r.competency_id in competencies]
    area_order = {g.value: i for i, g in enumerate(CompetencyGroup)}
    ratings.sort(key=lambda pair: (area_order[pair[0].area], pair[0].order, pair[0].id))
    return render_template(
        "feedback/read_scorecard.html",
        scorecard=found,
        application=application,
        ratings=ratings,
        versions=list(reversed(found.versions)),
        RATINGS=RATINGS,
        KEEPER_ANSWERS=KEEPER_ANSWERS,
        Recommendation=Recommendation,
        areas={g.value: g.label for g in CompetencyGroup},
        now=utcnow(),
    )


# --- admins edit the kits --------------------------------------------------------------------------


@bp.route("/admin/kits")
@policy.staff(Role.ADMIN)
def kits():
    """Every kind of interview and its kit."""
    kinds = db.session.scalars(select(InterviewKind).order_by(InterviewKind.name)).all()
    have = set(db.session.scalars(select(InterviewKit.kind_key)))
    return render_template("feedback/kits.html", kinds=kinds, have=have)


@bp.route("/admin/kits/<kind_key>", methods=["GET", "POST"])
@policy.staff(Role.ADMIN)
def edit_kit(kind_key: str):
    """Edit one kind's kit: what to probe, scenarios, and its competencies."""
    kind = db.session.get(InterviewKind, kind_key)
    if kind is None:
        abort(404)
    found, groups = _kit_of(kind_key)
    own = next((items for g, items in groups if g is CompetencyGroup.COMPETENCY), [])
    if request.method == "GET":
        form = KitForm(
            data={
                "probe": found.probe if found else "",
                "scenarios": "\n".join(found.scenarios) if found else "",
                "competencies": [
                    {"id": str(c.id), "name": c.name, "description": c.description, "strong": c.strong, "weak": c.weak}
                    for c in own
                ]
                + [{}] * BLANK_COMPETENCY_ROWS,
            }
        )
        return render_template("feedback/edit_kit.html", kind=kind, form=form)
    form = KitForm()
    if not form.validate_on_submit():
        return render_template("feedback/edit_kit.html", kind=kind, form=form), 400
    items = []
    known = {str(c.id) for c in own}
    for entry in form.competencies.entries:
        sub = entry.form
        raw_id = (sub.id.data or "").strip()
        if raw_id and raw_id not in known:
            sub.name.errors = [*sub.name.errors, "This competency is not part of this kit: reload the page."]
            return render_template("feedback/edit_kit.html", kind=kind, form=form), 400
        items.append(
            services.CompetencyInput(
                id=int(raw_id) if raw_id else None,
                name=sub.name.data or "",
                description=(sub.description.data or "").strip(),
                strong=(sub.strong.data or "").strip(),
                weak=(sub.weak.data or "").strip(),
            )
        )
    try:
        services.update_kit(
            current_user,
            kind_key,
            probe=form.probe.data.strip(),
            scenarios=[line.strip() for line in (form.scenarios.data or "").splitlines()],
            competencies=items,
        )
    except DomainError as exc:
        form.probe.errors = [*form.probe.errors, exc.message]
        return render_template("feedback/edit_kit.html", kind=kind, form=form), 400
    flash(f"The kit for {kind.name} is saved.", "success")
    return redirect(url_for("feedback.edit_kit", kind_key=kind_key))


# --- the decision ----------------------------------------------------------------------------------


def _decision_page(application, *, error=None, status=200, vote_form=None, record_form=None):
    from portal.feedback import decision
    from portal.feedback.models import VoteChoice

    found = decision.tally(application.id)
    return render_template(
        "feedback/decision.html",
        application=application,
        tally=found,
        me=found.voter(current_user.id),
        sees_votes=policy.submitted_own_scorecard(current_user, application),
        is_hiring_manager=application.position.hiring_manager_id == current_user.id
        and current_user.has_role(Role.HIRING_MANAGER),
        choices=list(VoteChoice),
        error=error,
        vote_form=vote_form or VoteForm(formdata=None),
        record_form=record_form or RecordDecisionForm(formdata=None),
    ), status


def _decision_application(application_id: int):
    from portal.hiring.models import Application

    application = db.session.get(Application, application_id)
    policy.require(application is not None and policy.sees_application(current_user, application))
    return application


@bp.route("/staff/decisions")
@policy.staff(Role.HR)
def decisions():
    """The teams' decisions across positions, for HR: where each stands and how the votes fell."""
    from portal.feedback import decision

    return render_template("feedback/decisions.html", decisions=decision.overview(), limit=decision.OVERVIEW_LIMIT)


@bp.route("/staff/applications/<int:application_id>/decision")
@policy.staff(*SCORECARD_READERS, scoped_to_position=True)
def decision(application_id: int):
    """Who votes, who is missing or dissenting, each vote's reason; the vote, and recording it."""
    return _decision_page(_decision_application(application_id))


@bp.route("/staff/applications/<int:application_id>/decision/vote", methods=["POST"])
@policy.staff(*SCORECARD_READERS, scoped_to_position=True)
def vote(application_id: int):
    """Cast or change one's vote."""
    from portal.feedback import decision as decisions

    application = _decision_application(application_id)
    form = VoteForm()
    if not form.validate_on_submit():
        return _decision_page(application, status=400, vote_form=form)
    try:
        decisions.vote(application.id, current_user, form.choice.data, form.reason.data)
    except DomainError as exc:
        return _decision_page(application, error=exc.message, status=exc.status, vote_form=form)
    flash("Your vote is recorded.", "success")
    return redirect(url_for("feedback.decision", application_id=application.id))


@bp.route("/staff/applications/<int:application_id>/decision/record", methods=["POST"])
@policy.staff(Role.HIRING_MANAGER, scoped_to_position=True)
def record_decision(application_id: int):
    """The hiring manager records the outcome of the vote."""
    from portal.feedback import decision as decisions

    application = _decision_application(application_id)
    form = RecordDecisionForm()
    if not form.validate_on_submit():
        return _decision_page(application, status=400, record_form=form)
    try:
        taken = decisions.record(application.id, current_user, form.feedback.data or "")
    except DomainError as exc:
        return _decision_page(application, error=exc.message, status=exc.status, record_form=form)
    flash(
        "Hire recorded: the candidate is told by email."
        if taken == "hire"
        else "Recorded: not selected. The candidate is told with your feedback.",
        "success",
    )
    return redirect(url_for("staff.application", application_id=application.id))


# The outcome pages share this blueprint.
from portal.feedback import outcome_views  # noqa: E402,F401
