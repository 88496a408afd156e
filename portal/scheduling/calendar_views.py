"""The staff member's own calendar on their availability page: connect it (an ICS feed or a CalDAV
account), read it again now, disconnect it. The page itself is views.availability."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from portal.errors import DomainError
from portal.extensions import account_key, limiter
from portal.forms import EmptyForm
from portal.scheduling import own_calendar
from portal.scheduling.views import availability_page, bp
from portal.security import policy


@bp.route("/staff/availability/calendar", methods=["POST"])
@policy.staff("interviewer", "recruiter", "hiring_manager", "hr", "admin")
@limiter.limit("10 per minute", key_func=account_key)
def connect_calendar():
    """Connect your own calendar (an ICS feed or a CalDAV account), or change it; it is read at once."""
    form = EmptyForm()
    values = {k: v for k, v in request.form.items() if k != "calendar_password"}  # a password is never sent back
    if not form.validate_on_submit():
        return availability_page(form, {"calendar": "The form expired. Please try again."}, values)
    try:
        own_calendar.connect(
            current_user,
            current_user,
            kind=request.form.get("calendar_kind", ""),
            url=request.form.get("calendar_url", ""),
            username=request.form.get("calendar_username", ""),
            password=request.form.get("calendar_password", ""),
        )
    except own_calendar.CalendarInvalid as exc:
        return availability_page(form, {exc.field: exc.message}, values)
    except DomainError as exc:
        return availability_page(form, {"calendar": exc.message}, values)
    outcome = own_calendar.refresh(current_user, actor=current_user)
    if outcome.ok:
        flash("Your calendar is connected: its busy times now block interview slots.", "success")
    else:
        flash(f"Your calendar is saved, but it could not be read: {outcome.error}", "error")
    return redirect(url_for("scheduling.availability") + "#calendar-heading")


@bp.route("/staff/availability/calendar/refresh", methods=["POST"])
@policy.staff("interviewer", "recruiter", "hiring_manager", "hr", "admin")
@limiter.limit("10 per minute", key_func=account_key)
def refresh_calendar():
    """Read your calendar again now (it is also read in the background)."""
    if not EmptyForm().validate_on_submit():
        flash("The form expired. Please try again.", "error")
    else:
        try:
            outcome = own_calendar.refresh(current_user, actor=current_user)
        except DomainError as exc:
            flash(exc.message, "error")
        else:
            if outcome.ok:
                flash("Your calendar was read just now.", "success")
            else:
                flash(
                    f"Your calendar could not be read: {outcome.error} The busy times read before still count.", "error"
                )
    return redirect(url_for("scheduling.availability") + "#calendar-heading")


@bp.route("/staff/availability/calendar/disconnect", methods=["POST"])
@policy.staff("interviewer", "recruiter", "hiring_manager", "hr", "admin")
def disconnect_calendar():
    """Disconnect your calendar: its address, password and busy times are forgotten."""
    if not EmptyForm().validate_on_submit():
        flash("The form expired. Please try again.", "error")
    else:
        own_calendar.disconnect(current_user, current_user)
        flash("Your calendar is disconnected; its busy times no longer block slots.", "success")
    return redirect(url_for("scheduling.availability") + "#calendar-heading")
