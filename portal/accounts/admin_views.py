"""Admin pages: staff accounts and their roles."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.accounts import services as accounts
from portal.accounts.forms import StaffEditForm, StaffForm
from portal.accounts.models import Role, User
from portal.errors import DomainError
from portal.extensions import db
from portal.security import policy

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/staff")
@policy.staff(Role.ADMIN)
def staff():
    """Every staff account with its roles."""
    people = (
        db.session.scalars(
            select(User).where(User.is_staff.is_(True)).order_by(User.name).options(selectinload(User.role_rows))
        )
        .unique()
        .all()
    )
    return render_template("admin/staff.html", people=people)


@bp.route("/staff/new", methods=["GET", "POST"])
@policy.staff(Role.ADMIN)
def new_staff():
    """Create a staff account; the person gets an email to set their password."""
    form = StaffForm()
    if form.validate_on_submit():
        try:
            accounts.create_staff(email=form.email.data, name=form.name.data, roles=form.roles.data, actor=current_user)
        except DomainError as exc:
            form.email.errors.append(exc.message)
        else:
            flash(f"Account created; {form.email.data} gets an email to set a password.", "success")
            return redirect(url_for("admin.staff"))
    return render_template("admin/staff_form.html", form=form, person=None), 422 if request.method == "POST" else 200


@bp.route("/staff/<int:user_id>", methods=["GET", "POST"])
@policy.staff(Role.ADMIN)
def edit_staff(user_id: int):
    """Change a staff member's roles or deactivate the account."""
    person = db.session.get(User, user_id)
    policy.require(person is not None and person.is_staff)
    form = StaffEditForm(obj=person)
    if request.method == "GET":
        form.roles.data = sorted(person.roles)
    if form.validate_on_submit():
        try:
            accounts.update_staff(
                current_user, person, name=form.name.data, roles=form.roles.data, active=form.active.data
            )
        except DomainError as exc:
            form.roles.errors.append(exc.message)
        else:
            flash("Saved.", "success")
            return redirect(url_for("admin.staff"))
    return render_template("admin/staff_form.html", form=form, person=person), 422 if request.method == "POST" else 200
