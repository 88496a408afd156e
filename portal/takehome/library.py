"""The assignment library: creating and editing briefs with their limits and rubric, their starter
files, and the assignment and formats a position offers. Each public function is one unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from portal import audit
from portal.accounts.models import User
from portal.errors import DomainError
from portal.extensions import db
from portal.hiring.models import Position
from portal.storage import UploadRejected
from portal.storage import services as storage
from portal.storage.backends import get_storage
from portal.storage.models import StoredFile
from portal.takehome.models import STARTER_OWNER, Assignment, FormatOffer, RubricCriterion, TechnicalScreenOffer
from portal.timeutil import utcnow
from portal.unit_of_work import after_commit, transactional

MAX_STARTER_FILES = 20
ASSIGNMENT_FIELDS = (
    "title",
    "brief",
    "allowed_types",
    "max_file_bytes",
    "max_total_bytes",
    "max_files",
    "time_limit_hours",
    "start_within_days",
    "late_submissions_allowed",
)


@dataclass(frozen=True)
class Criterion:
    """A rubric line as a form hands it over (the order is the list's)."""

    name: str
    description: str
    weight: int


def _check_criteria(criteria: list[Criterion]) -> None:
    # The form says the same next to each field; this is the last word for any other caller.
    if not criteria:
        raise DomainError("A rubric needs at least one criterion.")
    if len({c.name.strip().lower() for c in criteria}) != len(criteria):
        raise DomainError("Two rubric criteria have the same name.")


def _set_criteria(assignment: Assignment, criteria: list[Criterion]) -> None:
    assignment.criteria.clear()
    # The old rows go first: their (assignment, order) pairs would collide with the new ones.
    db.session.flush()
    for order, criterion in enumerate(criteria, start=1):
        assignment.criteria.append(
            RubricCriterion(
                order=order,
                name=criterion.name.strip(),
                description=criterion.description.strip(),
                weight=criterion.weight,
            )
        )


@transactional
def create_assignment(actor: User, criteria: list[Criterion], **fields) -> Assignment:
    _check_criteria(criteria)
    assignment = Assignment(created_by_id=actor.id, **{k: v for k, v in fields.items() if k in ASSIGNMENT_FIELDS})
    db.session.add(assignment)
    _set_criteria(assignment, criteria)
    db.session.flush()
    audit.record("assignment.create", assignment, actor=actor, title=assignment.title)
    return assignment


@transactional
def update_assignment(actor: User, assignment_id: int, criteria: list[Criterion], **fields) -> Assignment:
    """Save new text, limits and rubric. Attempts already offered keep the time limit they were given."""
    _check_criteria(criteria)
    assignment = db.session.get(Assignment, assignment_id, with_for_update=True)
    if assignment is None:
        raise LookupError(assignment_id)
    changes = {}
    for key in ASSIGNMENT_FIELDS:
        if key in fields and getattr(assignment, key) != fields[key]:
            changes[key] = {"from": getattr(assignment, key), "to": fields[key]}
            setattr(assignment, key, fields[key])
    before = [(c.name, c.description, c.weight) for c in assignment.criteria]
    after = [(c.name.strip(), c.description.strip(), c.weight) for c in criteria]
    if before != after:
        changes["rubric"] = {"from": before, "to": after}
        _set_criteria(assignment, criteria)
    if changes:
        assignment.updated_at = utcnow()
        # The brief can be long: the audit keeps that it changed, not both versions.
        if "brief" in changes:
            changes["brief"] = {"changed": True}
        audit.record("assignment.update", assignment, actor=actor, changes=changes)
    db.session.flush()
    return assignment


def starter_files(assignment_id: int) -> list[StoredFile]:
    return list(
        db.session.scalars(
            select(StoredFile)
            .where(StoredFile.owner_type == STARTER_OWNER, StoredFile.owner_id == assignment_id)
            .order_by(StoredFile.name, StoredFile.id)
        )
    )


def starter_file(assignment_id: int, file_id: int) -> StoredFile | None:
    return db.session.scalar(
        select(StoredFile).where(
            StoredFile.id == file_id, StoredFile.owner_type == STARTER_OWNER, StoredFile.owner_id == assignment_id
        )
    )


@transactional
def add_starter_file(actor: User, assignment_id: int, stream, filename: str) -> StoredFile:
    """Store a starter file (inspected like every upload; nothing kept when it is refused)."""
    assignment = db.session.get(Assignment, assignment_id, with_for_update=True)
    if assignment is None:
        raise LookupError(assignment_id)
    if len(starter_files(assignment.id)) >= MAX_STARTER_FILES:
        raise UploadRejected(f"An assignment holds at most {MAX_STARTER_FILES} starter files.")
    record = storage.store_upload(stream, filename, "takehome_starter", assignment, actor)
    assignment.updated_at = utcnow()
    return record


@transactional
def remove_starter_file(actor: User, assignment_id: int, file_id: int) -> None:
    record = starter_file(assignment_id, file_id)
    if record is None:
        raise LookupError(file_id)
    key = record.storage_key
    audit.record("file.delete", record, actor=actor, kind=record.kind, name=record.name)
    db.session.delete(record)
    db.session.flush()
    backend = get_storage()
    # The bytes go only once the record is gone for good: a rollback keeps a file that still works.
    after_commit(lambda: backend.delete(key))


def all_assignments() -> list[Assignment]:
    return list(db.session.scalars(select(Assignment).order_by(Assignment.title, Assignment.id)))


def offer_of(position_id: int) -> TechnicalScreenOffer | None:
    return db.session.get(TechnicalScreenOffer, position_id)


@transactional
def set_position_offer(actor: User, position: Position, *, formats: str, assignment_id: int | None) -> None:
    """Choose which formats the position's technical screen offers and which assignment its take-home is."""
    formats = FormatOffer(formats).value
    if assignment_id is not None and db.session.get(Assignment, assignment_id) is None:
        raise DomainError("Choose an assignment from the library.")
    if formats != FormatOffer.LIVE.value and assignment_id is None:
        raise DomainError("A take-home needs an assignment: choose one, or offer the live screen only.")
    # The row alone: PostgreSQL locks no outer-joined rows (the assignment loads afterwards).
    offer = db.session.get(
        TechnicalScreenOffer, position.id, with_for_update=True, options=[lazyload(TechnicalScreenOffer.assignment)]
    )
    if offer is None:
        offer = TechnicalScreenOffer(position_id=position.id)
        db.session.add(offer)
        before = {"formats": None, "assignment_id": None}
    else:
        before = {"formats": offer.formats, "assignment_id": offer.assignment_id}
    offer.formats = formats
    offer.assignment_id = assignment_id
    offer.updated_at = utcnow()
    db.session.flush()
    audit.record(
        "position.technical_screen",
        position,
        actor=actor,
        before=before,
        after={"formats": formats, "assignment_id": assignment_id},
    )
