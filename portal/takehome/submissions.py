"""Handing in a take-home: files (several, or one zip) or a repository link, as a new version each
time, judged late or on time by the server's clock inside the transaction that records it.

Each file streams through the storage module (spooled by Werkzeug, copied in chunks while hashed
into a temporary file in the store, inspected, then renamed), so a refused or broken upload leaves
no file and no record: every file stored so far in the unit is deleted by its rollback hook, and
earlier versions are never touched.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select

from portal import audit
from portal.accounts.models import User
from portal.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.forms import text_problem
from portal.hiring import progress as stage_progress
from portal.hiring import timeline
from portal.hiring.models import TechnicalFormat
from portal.notifications.services import queue_mail
from portal.security import policy
from portal.storage import UploadRejected
from portal.storage import services as storage
from portal.storage.kinds import size_text
from portal.storage.models import StoredFile
from portal.takehome import screen
from portal.takehome.models import SUBMISSION_OWNER, Attempt, AttemptStatus, Submission
from portal.timeutil import utcnow
from portal.unit_of_work import transactional

KIND = "takehome_submission"
MAX_URL = 500


class DeadlinePassed(DomainError):
    """The deadline has passed and the assignment takes no late work; nothing was stored."""


@dataclass(frozen=True)
class Upload:
    """One file of a hand-in as the request delivered it (a stream Werkzeug spooled to disk)."""

    stream: object
    filename: str


def check_repository_url(raw: str) -> str:
    """An https address of a public host, or a refusal saying what is wrong with it."""
    url = (raw or "").strip()
    if len(url) > MAX_URL or any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        raise UploadRejected("Enter one web address, without spaces, of at most 500 characters.")
    if text_problem(url):
        # A direction override or a zero-width space makes a link read other than where it leads.
        raise UploadRejected("Remove the invisible or direction-changing characters from the repository link.")
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        raise UploadRejected("The repository link must start with https://.")
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password or "." not in host:
        raise UploadRejected("Enter the repository's address as it is shown in your browser (https://host/...).")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        # A repository has a name; a bare address is most often a private machine graders cannot reach.
        raise UploadRejected("Use the repository host's name, not an IP address.")
    if host in {"localhost"} or host.endswith((".local", ".internal", ".localhost")):
        raise UploadRejected("Use the address of a repository graders can reach.")
    return url


def files_of(submission_id: int) -> list[StoredFile]:
    return list(
        db.session.scalars(
            select(StoredFile)
            .where(StoredFile.owner_type == SUBMISSION_OWNER, StoredFile.owner_id == submission_id)
            .order_by(StoredFile.id)
        )
    )


def versions_of(attempt_id: int) -> list[Submission]:
    return list(
        db.session.scalars(select(Submission).where(Submission.attempt_id == attempt_id).order_by(Submission.version))
    )


@transactional
def submit(application_id: int, actor: User, uploads: list[Upload], repository_url: str = "") -> Submission:
    """Record a new version of the candidate's take-home (files and/or a repository link)."""
    application = screen._locked_application(application_id)
    # The server's clock, read after the lock: a hand-in that waited for another is judged when it runs.
    now = utcnow()
    if not policy.owns_application(actor, application):
        raise NotAllowed("Only the candidate hands in their take-home.")
    if (
        not screen.at_technical_screen(application)
        or screen.chosen_format(application) != TechnicalFormat.TAKE_HOME.value
    ):
        raise DomainError("There is no take-home to hand in at this step.")
    attempt = screen.open_attempt(application)
    if attempt is None or attempt.started_at is None:
        raise DomainError("Start the take-home before handing it in.")
    assignment = attempt.assignment
    late = now > attempt.deadline
    if late and not assignment.late_submissions_allowed:
        raise DeadlinePassed(
            "The deadline has passed, so this upload was not accepted. What you handed in before is kept; "
            "please write to your recruiter."
        )
    uploads = [u for u in uploads if u.filename]
    url = check_repository_url(repository_url) if (repository_url or "").strip() else None
    if not uploads and url is None:
        raise UploadRejected("Choose the files to hand in, or give a repository link.")
    if len(uploads) > assignment.max_files:
        raise UploadRejected(f"Hand in at most {assignment.max_files} files (or put them in one zip).")
    version = (
        db.session.scalar(select(func.max(Submission.version)).where(Submission.attempt_id == attempt.id)) or 0
    ) + 1
    submission = Submission(
        attempt_id=attempt.id,
        version=version,
        submitted_at=now,
        late=late,
        repository_url=url,
        submitted_by_id=actor.id,
    )
    db.session.add(submission)
    db.session.flush()
    total, names = 0, set()
    for upload in uploads:
        record = storage.store_upload(
            upload.stream,
            upload.filename,
            KIND,
            submission,
            actor,
            types=tuple(assignment.allowed_types),
            max_bytes=assignment.max_file_bytes,
        )
        total += record.size
        if total > assignment.max_total_bytes:
            raise UploadRejected(f"All files together may be at most {size_text(assignment.max_total_bytes)}.")
        if record.name.lower() in names:
            raise UploadRejected(f"Two files are called {record.name}: rename one, or put them in a zip.")
        names.add(record.name.lower())
    submission.file_count, submission.total_bytes = len(uploads), total
    attempt.status = AttemptStatus.SUBMITTED.value
    attempt.updated_at = now
    db.session.flush()
    # The move is the team's again: the answer clock runs, extended by the time the candidate worked.
    stage_progress.hand_to_staff(application, step="take_home_submitted")
    audit.record(
        "takehome.submit", submission, actor=actor, version=version, late=late, files=len(uploads), bytes=total
    )
    timeline.record(
        application,
        timeline.TAKEHOME_HANDED_IN_LATE if late else timeline.TAKEHOME_HANDED_IN,
        actor,
        detail=str(version),
    )
    queue_mail(
        actor,
        "takehome_receipt",
        receipt=receipt(submission, attempt),
        application_id=application.id,
    )
    return submission


@dataclass(frozen=True)
class ReceiptFile:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Receipt:
    """What the candidate is given for a version: enough to prove what they handed in, and when."""

    title: str
    version: int
    submitted_at: datetime
    late: bool
    repository_url: str | None
    files: tuple[ReceiptFile, ...]


def receipt(submission: Submission, attempt: Attempt) -> Receipt:
    return Receipt(
        title=attempt.assignment.title,
        version=submission.version,
        submitted_at=submission.submitted_at,
        late=submission.late,
        repository_url=submission.repository_url,
        files=tuple(ReceiptFile(f.name, f.size, f.sha256) for f in files_of(submission.id)),
    )
