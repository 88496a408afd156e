"""The audit log page: who did what to which object, newest first, for admins."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from portal.accounts.models import Role, User
from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.forms import strip_control_characters, whole_number
from portal.security import policy

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

PAGE_SIZE = 50


@bp.route("")
@policy.staff(Role.ADMIN)
def log():
    """The audit log, filterable by action and by the person who acted."""
    action = strip_control_characters(request.args.get("action", "")).strip()[:64]
    who = strip_control_characters(request.args.get("who", "")).strip().lower()[:254]
    page_arg = request.args.get("page", "")
    page = whole_number(page_arg, max_digits=6) or 1
    actor = aliased(User)
    query = select(AuditEntry, actor).outerjoin(actor, AuditEntry.actor_id == actor.id)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if who:
        query = query.where(func.lower(actor.email).contains(who, autoescape=True))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        query.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    actions = db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    return render_template(
        "audit/log.html", rows=rows, total=total, page=page, pages=pages, action=action, who=who, actions=actions
    )
