"""Scheduling pages. Candidates: choose a day, a time, confirm; move or cancel with a reason; download
the invitation. Staff: their own interviews and availability, and their private calendar feed."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo, available_timezones

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from portal.errors import DomainError
from portal.extensions import db, limiter
from portal.forms import EmptyForm, whole_number
from portal.hiring.candidate_views import own_application
from portal.hiring.models import Application
from portal.hiring.staff_views import run_application
from portal.scheduling import interview_links, invites, read
from portal.scheduling import services as scheduling
from portal.scheduling.models import Interview, InterviewStatus
from portal.security import policy
from portal.timeutil import zone_of

bp = Blueprint("scheduling", __name__)

ZONES = sorted(
    z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/"))
) + ["UTC"]
ZONE_SET = frozenset(ZONES)


def _viewer_zone() -> ZoneInfo:
    """The zone times are shown in: the one chosen on the page, else the person's own."""
    chosen = request.values.get("tz", "")
    if chosen in ZONE_SET:
        return ZoneInfo(chosen)
    return zone_of(current_user)


def _parse_start(value: str) -> datetime | None:
    if len(value) > 40 or not value.isascii() or not value.isprintable():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
        # Year 1 or 9999 with an offset falls outside what a datetime holds once in UTC.
        return moment.astimezone(timezone.utc) if moment.tzinfo is not None else None
    except (ValueError, AttributeError, OverflowError):
        return None


def _moving(application: Application) -> read.Booking | None:
    """The booking being moved (?move=<group>), if it is this application's and may still change."""
    group = request.values.get("move", "")
    if not group:
        return None
    found = next((b for b in read.bookings_of(application.id) if b.group_id == group), None)
    if found is None or found.status != InterviewStatus.BOOKED.value:
        abort(404)
    return found


def _days(starts, zone: ZoneInfo) -> dict[date, list[datetime]]:
    days: dict[date, list[datetime]] = {}
    for start in starts:
        days.setdefault(start.astimezone(zone).date(), []).append(start)
    return days


@bp.route("/applications/<int:application_id>/book", methods=["GET", "POST"])
@policy.candidate(owns="application")
def book(application_id: int):
    """Choose a day, then a time, then confirm: the whole step (one interview or a loop) is booked."""
    application = own_application(application_id)
    moving = _moving(application)
    if moving is None and not scheduling.planned_interviews(application):
        flash("There is nothing to book at this step.", "error")
        return redirect(url_for("candidate.application", application_id=application.id))
    booked = scheduling.current_booking(application) if moving is None else []
    if booked and not any(i.status == InterviewStatus.BOOKED.value for i in booked):
        flash("The interviews of this step have taken place: there is nothing more to book.", "error")
        return redirect(url_for("candidate.application", application_id=application.id) + "#interviews-heading")
    if booked:
        flash("This step is booked already. To change it, choose Move below.", "error")
        return redirect(url_for("candidate.application", application_id=application.id) + "#interviews-heading")
    if moving is not None and not moving.can_change:
        flash("This interview can no longer be moved here: please write to your recruiter.", "error")
        return redirect(url_for("candidate.application", application_id=application.id))
    zone = _viewer_zone()
    offer = scheduling.offer(application, exclude_group=moving.group_id if moving else None)
    days = _days(offer.starts, zone)
    form = EmptyForm()
    chosen_day = None
    try:
        chosen_day = date.fromisoformat(request.values.get("day", ""))
    except ValueError:
        chosen_day = None
    start = _parse_start(request.values.get("start", ""))
    error, nearest = None, []
    if request.method == "POST" and form.validate_on_submit():
        reason = request.form.get("reason", "").strip()
        if start is None or not scheduling.could_be_offered(start):
            error = "Choose one of the times shown."
        elif moving is not None and not reason:
            error = "Please tell us why you are moving the interview."
        else:
            try:
                if moving is not None:
                    scheduling.reschedule(moving.group_id, start, current_user, reason)
                    flash("Moved. The new time is below, and an updated invitation is on its way.", "success")
                else:
                    scheduling.book(application.id, start, current_user)
                    flash("Booked. The invitation is on its way to your inbox.", "success")
                return redirect(url_for("candidate.application", application_id=application.id))
            except scheduling.NotOffered as exc:
                error = exc.message
            except scheduling.SlotTaken as exc:
                offer = scheduling.offer(application, exclude_group=moving.group_id if moving else None)
                days = _days(offer.starts, zone)
                nearest = scheduling.nearest(offer.starts, start)
                error = f"{exc.message} The nearest free times are below." if nearest else exc.message
                start = None
            except DomainError as exc:
                error = exc.message
    elif request.method == "POST":
        error = "The form expired. Please choose the time again."
    status = 409 if error and nearest else (400 if error else 200)
    return (
        render_template(
            "scheduling/book.html",
            application=application,
            offer=offer,
            days=days,
            chosen_day=chosen_day if chosen_day in days else None,
            start=start if start in offer.starts else None,
            zone=zone,
            zones=ZONES,
            zone_chosen=request.values.get("tz", "") in ZONE_SET,
            moving=moving,
            form=form,
            error=error,
            nearest=nearest,
            reason=request.form.get("reason", ""),
        ),
        status,
    )


@bp.route("/applications/<int:application_id>/bookings/<group_id>/cancel", methods=["POST"])
@policy.candidate(owns="application")
def cancel(application_id: int, group_id: str):
    """Cancel a booking (before the cut-off), with a reason."""
    application = own_application(application_id)
    found = next((b for b in read.bookings_of(application.id) if b.group_id == group_id), None)
    if found is None:
        abort(404)
    form = EmptyForm()
    reason = request.form.get("reason", "").strip()
    if not form.validate_on_submit():
        flash("The form expired. Please try again.", "error")
    elif not reason:
        flash("Please tell us why you cancel, so your recruiter can help.", "error")
    else:
        try:
            scheduling.cancel(group_id, current_user, reason)
            flash("Cancelled. You can book a new time below.", "success")
        except DomainError as exc:
            flash(exc.message, "error")
    return redirect(url_for("candidate.application", application_id=application.id) + "#interviews-heading")


@bp.route("/applications/<int:application_id>/bookings/<group_id>/invite.ics")
@policy.candidate(owns="application")
def candidate_invite(application_id: int, group_id: str):
    """The booking as a calendar file, to add by hand."""
    application = own_application(application_id)
    interviews = _group_interviews(group_id, application_id=application.id)
    ics = invites.for_candidate(interviews, method="PUBLISH", position_title=application.position.title)
    return _calendar_response(ics, "interview.ics")


def _group_interviews(group_id: str, **where) -> list[Interview]:
    query = db.session.query(Interview).filter(Interview.group_id == group_id)
    for column, value in where.items():
        query = query.filter(getattr(Interview, column) == value)
    interviews = [i for i in query.order_by(Interview.starts_at).all()]
    holding = [i for i in interviews if i.holds_time]
    if not interviews:
        abort(404)
    return holding or interviews


def _calendar_response(ics: bytes, filename: str):
    response = make_response(ics)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- staff -----------------------------------------------------------------------------------------


@bp.route("/staff/interviews")
@policy.staff("interviewer", "recruiter", "hiring_manager", "hr", "admin")
def my_interviews():
    """The signed-in staff member's interviews: upcoming, then past."""
    upcoming = read.interviews_of(current_user.id, upcoming=True)
    past = read.interviews_of(current_user.id, upcoming=False, limit=50)
    return render_template(
        "scheduling/my_interviews.html",
        upcoming=upcoming,
        past=past,
        links={item.id: interview_links(item) for item in upcoming + past},
        profile=None,
    )


@bp.route("/staff/interviews/<int:interview_id>/invite.ics")
@policy.staff("interviewer", "recruiter", "hiring_manager", "hr", "admin")
def staff_invite(interview_id: int):
    interview = db.session.get(Interview, interview_id)
    if interview is None or interview.interviewer_id != current_user.id:
        abort(404)
    application = interview.application
    ics = invites.for_interviewer(
        interview,
        method="PUBLISH",
        candidate_name=application.candidate.name,
        position_title=application.position.title,
    )
    return _calendar_response(ics, "interview.ics")


@bp.route("/calendar/<token>.ics")
@policy.public
@limiter.limit("60 per minute")
def feed(token: str):
    """An interviewer's private feed of upcoming interviews (the address is the secret)."""
    from portal.scheduling.models import SchedulingProfile

    profile = (
        db.session.query(SchedulingProfile).filter(SchedulingProfile.feed_token == token).one_or_none()
        if 20 <= len(token) <= 64
        else None
    )
    if profile is None or not profile.user.active:
        abort(404)
    upcoming = []
    for item in read.interviews_of(profile.user_id, upcoming=True):
        interview = db.session.get(Interview, item.id)
        upcoming.append((interview, item.candidate, item.position))
    return _calendar_response(invites.feed(upcoming), "candor-interviews.ics")


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _minutes(value: str) -> int | None:
    """'09:30' as minutes after midnight ('24:00' allowed as the end of a day); None if not a time."""
    found = re.fullmatch(r"([0-9]{2}):([0-9]{2})", value.strip())
    if found is None:
        return None
    hours, minutes = int(found.group(1)), int(found.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@bp.route("/staff/availability", methods=["GET", "POST"])
@policy.staff("interviewer", "recruiter", "hiring_manager", "hr", "admin")
def availability():
    """Your interview availability: weekly hours, days off, limits, your own calendar and your feed."""
    from portal.scheduling import staff

    form = EmptyForm()
    errors: dict[str, str] = {}
    values = dict(request.form)
    if request.method == "POST":
        if not form.validate_on_submit():
            errors["form"] = "The form expired. Please try again."
        else:
            section = request.form.get("section")
            try:
                if section == "weekly":
                    windows = []
                    for day, name in enumerate(WEEKDAYS):
                        start_text, end_text = request.form.get(f"start_{day}", ""), request.form.get(f"end_{day}", "")
                        if not start_text and not end_text:
                            continue
                        start, end = _minutes(start_text), _minutes(end_text)
                        if start is None or end is None or start >= end:
                            errors[f"start_{day}"] = (
                                f"{name}: give a start and a later end time (HH:MM), or leave both empty."
                            )
                            continue
                        windows.append((day, start, end))
                    if not errors:
                        staff.set_weekly_windows(current_user, current_user, windows)
                        flash("Your weekly hours are saved.", "success")
                elif section == "limits":
                    per_day = whole_number(request.form.get("max_per_day", ""), max_digits=3)
                    per_week = whole_number(request.form.get("max_per_week", ""), max_digits=3)
                    if per_day is None or per_week is None:
                        raise ValueError("not whole numbers")
                    staff.set_limits(
                        current_user,
                        current_user,
                        max_per_day=per_day,
                        max_per_week=per_week,
                        holiday_country=request.form.get("holiday_country", ""),
                    )
                    flash("Your limits are saved.", "success")
                elif section == "dated":
                    start, end = (
                        _minutes(request.form.get("dated_start", "")),
                        _minutes(request.form.get("dated_end", "")),
                    )
                    try:
                        on = date.fromisoformat(request.form.get("on_date", ""))
                    except ValueError:
                        errors["on_date"] = "Give a date."
                    else:
                        if start is None or end is None or start >= end:
                            errors["dated_start"] = "Give a start and a later end time (HH:MM)."
                        else:
                            staff.add_dated_window(current_user, current_user, on, start, end)
                            flash(f"Hours added on {on:%A %d %B %Y}.", "success")
                elif section == "remove_dated":
                    window_id = request.form.get("window", "")
                    staff.remove_dated_window(current_user, current_user, whole_number(window_id) or 0)
                    flash("Removed.", "success")
                elif section == "block":
                    try:
                        day = date.fromisoformat(request.form.get("day", ""))
                    except ValueError:
                        errors["day"] = "Give a date."
                    else:
                        booked = staff.block_day(current_user, current_user, day, request.form.get("reason", ""))
                        flash(f"{day:%A %d %B %Y} is blocked.", "success")
                        if booked:
                            zone = zone_of(current_user)
                            names = "; ".join(
                                f"{i.starts_at.astimezone(zone):%H:%M} with {i.candidate.name}" for i in booked
                            )
                            flash(
                                f"You still have {len(booked)} interview{'s' if len(booked) > 1 else ''} booked that "
                                f"day ({names}). Ask the recruiter to move "
                                f"{'them' if len(booked) > 1 else 'it'}: they stay booked until then.",
                                "warning",
                            )
                elif section == "unblock":
                    try:
                        day = date.fromisoformat(request.form.get("day", ""))
                    except ValueError:
                        day = date.min
                    staff.unblock_day(current_user, current_user, day)
                    flash(f"{day:%A %d %B %Y} is no longer a day off.", "success")
                elif section == "feed":
                    had_one = bool(staff.profile_of_readonly(current_user).feed_token)
                    staff.new_feed_address(current_user, current_user)
                    flash(
                        "Your calendar feed has a new address; the old one no longer works."
                        if had_one
                        else "Your calendar feed address is ready: add it to your calendar.",
                        "success",
                    )
                else:
                    abort(400)
            except ValueError:
                errors["limits"] = "Limits are whole numbers."
            except DomainError as exc:
                errors[section or "form"] = exc.message
            if not errors:
                return redirect(url_for("scheduling.availability"))
    return availability_page(form, errors, values)


def availability_page(form: EmptyForm, errors: dict[str, str], values: dict):
    """The availability page, with `errors` next to their fields (400) or none (200)."""
    from portal.scheduling import staff
    from portal.scheduling.models import AvailabilityWindow, BlockedDay
    from portal.scheduling.own_calendar import KINDS

    profile = staff.profile_of_readonly(current_user)
    weekly = {
        w.weekday: w
        for w in db.session.scalars(
            db.select(AvailabilityWindow).where(
                AvailabilityWindow.user_id == current_user.id, AvailabilityWindow.weekday.is_not(None)
            )
        )
    }
    blocked = db.session.scalars(
        db.select(BlockedDay)
        .where(BlockedDay.user_id == current_user.id, BlockedDay.day >= date.today())
        .order_by(BlockedDay.day)
    ).all()
    dated = db.session.scalars(
        db.select(AvailabilityWindow)
        .where(
            AvailabilityWindow.user_id == current_user.id,
            AvailabilityWindow.on_date >= date.today(),
        )
        .order_by(AvailabilityWindow.on_date, AvailabilityWindow.start_minute)
    ).all()
    return (
        render_template(
            "scheduling/availability.html",
            form=form,
            errors=errors,
            values=values,
            weekdays=WEEKDAYS,
            weekly={day: (_clock(w.start_minute), _clock(w.end_minute)) for day, w in weekly.items()},
            blocked=blocked,
            dated=[(w.id, w.on_date, _clock(w.start_minute), _clock(w.end_minute)) for w in dated],
            profile=profile,
            calendar_kinds=KINDS,
            feed_url=url_for("scheduling.feed", token=profile.feed_token, _external=True) if profile.feed_token else "",
        ),
        400 if errors else 200,
    )


def _booking_of(application: Application, group_id: str) -> read.Booking:
    found = next((b for b in read.bookings_of(application.id) if b.group_id == group_id), None)
    if found is None:
        abort(404)
    return found


@bp.route("/staff/applications/<int:application_id>/bookings/<group_id>/move", methods=["GET", "POST"])
@policy.staff("recruiter", "hiring_manager", scoped_to_position=True)
def staff_move(application_id: int, group_id: str):
    """Move a booking to another free time (staff may, at any time), with a reason the candidate reads."""
    application = run_application(application_id)
    booking = _booking_of(application, group_id)
    form = EmptyForm()
    offer = scheduling.offer(application, exclude_group=group_id)
    error = None
    if request.method == "POST":
        start = _parse_start(request.form.get("start", ""))
        reason = request.form.get("reason", "").strip()
        if not form.validate_on_submit():
            error = "The form expired. Please try again."
        elif start is None:
            error = "Choose one of the times."
        elif not reason:
            error = "Give the reason the candidate will read."
        else:
            try:
                scheduling.reschedule(group_id, start, current_user, reason)
                flash("Moved. The candidate and the interviewers get an updated invitation.", "success")
                return redirect(url_for("staff.application", application_id=application.id))
            except DomainError as exc:
                error = exc.message
                offer = scheduling.offer(application, exclude_group=group_id)
    return (
        render_template(
            "scheduling/staff_move.html",
            application=application,
            booking=booking,
            # Every free time of the horizon, by day in the staff member's zone.
            days=_days(offer.starts, zone_of(current_user)),
            form=form,
            error=error,
            values=request.form,
        ),
        400 if error else 200,
    )


@bp.route("/staff/applications/<int:application_id>/bookings/<group_id>/cancel", methods=["POST"])
@policy.staff("recruiter", "hiring_manager", scoped_to_position=True)
def staff_cancel(application_id: int, group_id: str):
    application = run_application(application_id)
    _booking_of(application, group_id)
    reason = request.form.get("reason", "").strip()
    if not EmptyForm().validate_on_submit():
        flash("The form expired. Please try again.", "error")
    elif not reason:
        flash("Give the reason the candidate will read.", "error")
    else:
        try:
            scheduling.cancel(group_id, current_user, reason)
            flash("Cancelled. The candidate can book a new time.", "success")
        except DomainError as exc:
            flash(exc.message, "error")
    return redirect(url_for("staff.application", application_id=application.id) + "#interviews-heading")


@bp.route("/staff/interviews/<int:interview_id>/outcome", methods=["POST"])
@policy.staff("interviewer", "recruiter", "hiring_manager", "hr", "admin")
def outcome(interview_id: int):
    """Record that an interview took place, or that the candidate did not come."""
    interview = db.session.get(Interview, interview_id)
    if interview is None or not (
        interview.interviewer_id == current_user.id or policy.runs_application(current_user, interview.application)
    ):
        abort(404)
    application_id = interview.application_id
    if not EmptyForm().validate_on_submit():
        flash("The form expired. Please try again.", "error")
    else:
        try:
            scheduling.record_outcome(interview_id, request.form.get("status", ""), current_user)
            flash("Recorded.", "success")
        except DomainError as exc:
            flash(exc.message, "error")
    return redirect(url_for("staff.application", application_id=application_id) + "#interviews-heading")


@bp.route("/staff/positions/<int:position_id>/schedule", methods=["GET", "POST"])
@policy.staff("recruiter", "hiring_manager", scoped_to_position=True)
def position_schedule(position_id: int):
    """A position's interviews to come, and its interviewer pool: who interviews for it, for which kinds."""
    from portal.accounts.models import Role, User, UserRole
    from portal.hiring.models import InterviewKind, Position
    from portal.scheduling import staff
    from portal.scheduling.models import PoolMember

    position = db.session.get(Position, position_id)
    policy.require(policy.runs_position(current_user, position))
    form = EmptyForm()
    error = None
    interviewing_roles = [Role.INTERVIEWER.value, Role.HR.value, Role.HIRING_MANAGER.value, Role.RECRUITER.value]
    members = list(
        db.session.scalars(
            db.select(User)
            .where(
                User.active.is_(True),
                User.id.in_(db.select(UserRole.user_id).where(UserRole.role.in_(interviewing_roles))),
            )
            .order_by(User.name)
        )
    )
    kinds = list(db.session.scalars(db.select(InterviewKind).order_by(InterviewKind.name)))
    if request.method == "POST":
        member = next((m for m in members if str(m.id) == request.form.get("member", "")), None)
        chosen = request.form.getlist("kinds")
        if not form.validate_on_submit():
            error = "The form expired. Please try again."
        elif member is None:
            error = "Choose a staff member."
        else:
            try:
                staff.set_pool_kinds(current_user, position, member, chosen)
                flash(f"{member.name}: {'saved' if chosen else 'no longer in the pool'}.", "success")
                return redirect(url_for("scheduling.position_schedule", position_id=position.id))
            except DomainError as exc:
                error = exc.message
    pool: dict[int, list[str]] = {}
    for row in db.session.scalars(db.select(PoolMember).where(PoolMember.position_id == position.id)):
        pool.setdefault(row.user_id, []).append(row.kind.name)
    return (
        render_template(
            "scheduling/position_schedule.html",
            position=position,
            upcoming=read.interviews_for_position(position.id),
            members=members,
            by_id={m.id: m for m in members},
            pool=pool,
            kinds=kinds,
            form=form,
            error=error,
            values=request.form,
        ),
        400 if error else 200,
    )


@bp.route("/applications/<int:application_id>/accommodation", methods=["GET", "POST"])
@policy.candidate(owns="application")
def accommodation(application_id: int):
    """Ask for an accommodation in the interviews (the recruiter answers)."""
    from portal.scheduling import accommodations
    from portal.scheduling.models import AccommodationKind

    application = own_application(application_id)
    form = EmptyForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            error = "The form expired. Please try again."
        else:
            try:
                accommodations.ask(
                    application, current_user, request.form.getlist("kinds"), request.form.get("details", "")
                )
                flash("Sent. Your recruiter answers here and by email.", "success")
                return redirect(url_for("candidate.application", application_id=application.id) + "#interviews-heading")
            except DomainError as exc:
                error = exc.message
    return (
        render_template(
            "scheduling/accommodation.html",
            application=application,
            kinds=list(AccommodationKind),
            requests=accommodations.requests_of(application.id),
            form=form,
            error=error,
            values=request.form,
        ),
        400 if error else 200,
    )


@bp.route("/staff/applications/<int:application_id>/accommodations/<int:request_id>", methods=["POST"])
@policy.staff("recruiter", "hiring_manager", scoped_to_position=True)
def answer_accommodation(application_id: int, request_id: int):
    from portal.scheduling import accommodations
    from portal.scheduling.models import AccommodationRequest

    application = run_application(application_id)
    found = db.session.get(AccommodationRequest, request_id)
    if found is None or found.application_id != application.id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        flash("The form expired. Please try again.", "error")
    else:
        try:
            decision = request.form.get("decision", "")
            if decision not in ("grant", "decline"):
                raise DomainError("Choose whether to grant or decline the request.")
            minutes = whole_number(request.form.get("extra_minutes", "").strip() or "0", max_digits=3)
            accommodations.answer(
                request_id,
                current_user,
                grant=decision == "grant",
                extra_minutes=-1 if minutes is None else minutes,
                message=request.form.get("answer", ""),
            )
            if request.form.get("decision") == "grant" and accommodations.booked_ahead(application):
                flash(
                    "Answered. The interviews booked already keep their length: the candidate is told to move "
                    "them for the extra time (or move them yourself).",
                    "success",
                )
            else:
                flash("Answered. The candidate gets your answer by email.", "success")
        except DomainError as exc:
            flash(exc.message, "error")
    return redirect(url_for("staff.application", application_id=application.id) + "#accommodations-heading")


# The routes of a staff member's own calendar join this blueprint.
from portal.scheduling import calendar_views  # noqa: E402, F401
