"""Audit log: who did what to which object, recorded in the same transaction as the change."""

from __future__ import annotations

from flask import has_request_context, request

from portal.audit.models import AuditEntry
from portal.extensions import db


def record(
    action: str,
    obj=None,
    *,
    actor=None,
    object_type: str | None = None,
    object_id: int | None = None,
    anonymous: bool = False,
    **data,
) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits). An `anonymous` entry keeps
    no address either: with the time, it would lead back to the person the entry leaves unnamed."""
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else obj.id
    entry = AuditEntry(
        action=action,
        actor_id=getattr(actor, "id", None),
        object_type=object_type or "",
        object_id=object_id,
        data=data,
        ip=request.remote_addr if has_request_context() and not anonymous else None,
    )
    db.session.add(entry)
    return entry
