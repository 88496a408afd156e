"""Demo take-homes: two briefs from real incidents with small, real starter files, each position's
technical screen offering both formats, and candidates with a take-home not started (asking for extra time), one running,
one handed in and waiting for its graders, and one graded blind by two engineers."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from portal.accounts.models import User
from portal.extensions import db
from portal.hiring import timeline
from portal.hiring.models import Application, Position, StageEvent
from portal.takehome import extra_time, grading, library, screen, submissions
from portal.takehome.library import Criterion
from portal.takehome.models import Attempt, Submission

MB = 1024 * 1024

CRASH_BRIEF = """## The situation

Every night our billing job imports the usage files partners send us. Last night it crashed on the
file from one partner, so nobody was billed, and it will crash again tonight unless someone fixes it.

The importer is `importer.py`. The file that crashes it is `usage-2026-11-30.csv` (shortened to the
lines that matter). `test_importer.py` holds the tests we have; they pass.

## What to do

1. **Diagnose**: find out why the importer crashes on this file. Tell us the cause, not only the line
   that raises.
2. **Fix** it, keeping every line of the file that is valid, and say what happens to the others.
3. **Prove it**: add tests that fail before your fix and pass after it.

## What to hand in

Your changed files (or one zip, or a link to a repository), and a short `NOTES.md`: the cause, your
fix, what you would do next with more time. Plain language is perfect: we read every word.
"""

IMPORTER = b'''"""Nightly import of partner usage files: one CSV per partner and day."""

import csv
from decimal import Decimal


def read_usage(path):
    """Total usage per customer, in gigabytes."""
    totals = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            customer = row["customer_id"]
            gigabytes = Decimal(row["gigabytes"])
            totals[customer] = totals.get(customer, 0) + gigabytes
    return totals


if __name__ == "__main__":
    import sys

    for customer, total in sorted(read_usage(sys.argv[1]).items()):
        print(customer, total)
'''

IMPORTER_TESTS = b"""from decimal import Decimal

from importer import read_usage


def test_sums_usage_per_customer(tmp_path):
    path = tmp_path / "usage.csv"
    path.write_text("customer_id,gigabytes\\nc-1,1.5\\nc-2,2\\nc-1,0.5\\n")
    assert read_usage(path) == {"c-1": Decimal("2.0"), "c-2": Decimal("2")}
"""

# A byte-order mark from a spreadsheet export, a decimal comma in quotes, and a blank line.
CRASHING_CSV = '\ufeffcustomer_id,gigabytes\r\nc-1001,12.5\r\nc-1002,"3,75"\r\n\r\nc-1003,0.25\r\n'.encode("utf-8")

DEPLOY_BRIEF = """## The situation

We release the ticketing service by hand, about twice a week. The steps are in `RUNBOOK.md`: an
engineer copies a build to two servers over SSH, runs the database migration, restarts the service
and watches the logs. Last month a release skipped the migration on one server and took bookings
down for 40 minutes; the one before that restarted both servers at once.

## What to do

Automate this release so that it is **safe to run by anyone on the team**:

- one command (or one pipeline) takes a version and releases it;
- it stops, loudly, at the first failing step, and never leaves the two servers on different versions;
- the servers restart one after the other, each checked healthy before the next;
- a bad release can be rolled back with one command.

Use the tools you would choose at work (a shell script, Make, Ansible, a CI pipeline ...) and say why.
`deploy_by_hand.sh` is what people paste from today.

## What to hand in

Your files (or one zip, or a repository link) and a `NOTES.md`: how to run it, what it protects
against, and what you left out on purpose.
"""

RUNBOOK = b"""# Releasing the ticketing service (by hand)

1. Build: `make dist VERSION=x.y.z` on your laptop; it writes `dist/ticketing-x.y.z.tar.gz`.
2. For each server (`app1.internal`, `app2.internal`):
   1. `scp dist/ticketing-x.y.z.tar.gz deploy@SERVER:/srv/ticketing/releases/`
   2. `ssh deploy@SERVER` and unpack into `/srv/ticketing/releases/x.y.z`
   3. point `/srv/ticketing/current` at the new folder
3. On **one** server only: `/srv/ticketing/current/bin/migrate`
4. On each server: `sudo systemctl restart ticketing`
5. Watch `journalctl -u ticketing -f` for a minute. If it looks bad, point `current` back and restart.

Health check: `curl -fsS http://SERVER:8080/healthz` answers `ok`.
"""

DEPLOY_BY_HAND = b"""#!/bin/sh
# What people paste from today. Do not run this as it is: it has no checks at all.
VERSION=$1
make dist VERSION=$VERSION
for SERVER in app1.internal app2.internal; do
  scp dist/ticketing-$VERSION.tar.gz deploy@$SERVER:/srv/ticketing/releases/
  ssh deploy@$SERVER "cd /srv/ticketing/releases && mkdir -p $VERSION && tar -xzf ticketing-$VERSION.tar.gz -C $VERSION && ln -sfn /srv/ticketing/releases/$VERSION /srv/ticketing/current"
done
ssh deploy@app1.internal /srv/ticketing/current/bin/migrate
ssh deploy@app1.internal sudo systemctl restart ticketing &
ssh deploy@app2.internal sudo systemctl restart ticketing &
wait
"""

HAL_NOTES = b"""# Notes

## Cause
Three things in the partner's file, each enough to crash the importer:

1. The file starts with a UTF-8 byte-order mark (a spreadsheet export), so the first column is
   called "\\ufeffcustomer_id" and `row["customer_id"]` raises KeyError.
2. One amount uses a decimal comma ("3,75"); `Decimal` refuses it.
3. A blank line gives a row of empty values.

## Fix
Open the file with `encoding="utf-8-sig"`, skip blank rows, and accept a decimal comma. A row that is
still invalid is reported with its line number and skipped, so one bad line no longer stops billing.

## Next
Ask the partner for a fixed format; alert when more than 1% of the lines are skipped.
"""

HAL_FIX = b'''"""Nightly import of partner usage files: one CSV per partner and day."""

import csv
import logging
from decimal import Decimal, InvalidOperation

log = logging.getLogger(__name__)


def read_usage(path):
    """Total usage per customer, in gigabytes; invalid lines are logged and skipped."""
    totals = {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            if not any((value or "").strip() for value in row.values()):
                continue
            try:
                customer = row["customer_id"].strip()
                gigabytes = Decimal(row["gigabytes"].strip().replace(",", "."))
            except (KeyError, AttributeError, InvalidOperation):
                log.warning("line %d skipped: %r", number, row)
                continue
            totals[customer] = totals.get(customer, 0) + gigabytes
    return totals
'''

ASSIGNMENTS = [
    dict(
        title="Our importer crashes on a partner's file: diagnose and fix",
        brief=CRASH_BRIEF,
        allowed_types=["zip", "text"],
        max_file_bytes=5 * MB,
        max_total_bytes=20 * MB,
        max_files=10,
        time_limit_hours=4,
        start_within_days=7,
        late_submissions_allowed=False,
        criteria=[
            Criterion("Diagnosis", "Finds the real causes and explains them plainly.", 3),
            Criterion("Fix", "Small, keeps every valid line, says what happens to the rest.", 3),
            Criterion("Tests", "Tests fail before the fix and pass after it.", 2),
            Criterion("Communication", "NOTES.md is clear about trade-offs and next steps.", 2),
        ],
        files=[("importer.py", IMPORTER), ("test_importer.py", IMPORTER_TESTS), ("usage-2026-11-30.csv", CRASHING_CSV)],
    ),
    dict(
        title="This manual deployment is error prone: automate it",
        brief=DEPLOY_BRIEF,
        allowed_types=["zip", "text"],
        max_file_bytes=5 * MB,
        max_total_bytes=20 * MB,
        max_files=15,
        time_limit_hours=6,
        start_within_days=10,
        late_submissions_allowed=True,
        criteria=[
            Criterion("Safety", "Stops at the first failure; never leaves servers on different versions.", 4),
            Criterion("Rolling restart and rollback", "One server at a time, health-checked; one-command rollback.", 3),
            Criterion("Clarity", "Someone new can run it and understand it from NOTES.md.", 2),
            Criterion("Choice of tools", "Fits the team's size and says why.", 1),
        ],
        files=[("RUNBOOK.md", RUNBOOK), ("deploy_by_hand.sh", DEPLOY_BY_HAND)],
    ),
]


def seed(staff: dict[str, User], positions: list[Position], application_of) -> None:
    """The library, each engineering position's offer, and two candidates at their take-home."""
    admin, manager = staff["admin@example.com"], staff["manager@example.com"]
    made = []
    for spec in ASSIGNMENTS:
        spec = dict(spec)
        files, criteria = spec.pop("files"), spec.pop("criteria")
        assignment = library.create_assignment(manager, criteria, **spec)
        for name, content in files:
            library.add_starter_file(manager, assignment.id, io.BytesIO(content), name)
        made.append(assignment)
    backend, sre = positions[0], positions[1]
    library.set_position_offer(admin, backend, formats="both", assignment_id=made[0].id)
    library.set_position_offer(admin, sre, formats="both", assignment_id=made[1].id)

    # Tara chose the take-home and has not started; Wren started 90 minutes ago.
    tara = application_of("takehome@example.com")
    screen.choose(tara.id, "take_home", tara.candidate)
    extra_time.ask(tara.id, tara.candidate, "I have ADHD: a break in the middle helps me. Could I have an extra hour?")
    wren = application_of("working@example.com")
    screen.choose(wren.id, "take_home", wren.candidate)
    attempt = screen.start(wren.id, wren.candidate)
    _shift_start(wren, attempt, timedelta(minutes=90))
    # Hal worked for three hours yesterday and handed in his fix with notes: waiting for grading.
    hal = application_of("handedin@example.com")
    screen.choose(hal.id, "take_home", hal.candidate)
    attempt = screen.start(hal.id, hal.candidate)
    submissions.submit(
        hal.id,
        hal.candidate,
        [
            submissions.Upload(io.BytesIO(HAL_NOTES), "NOTES.md"),
            submissions.Upload(io.BytesIO(HAL_FIX), "importer.py"),
        ],
    )
    # Moved back a day afterwards: handed in within the time, judged then by the server's clock.
    _move_back(hal, attempt, timedelta(days=1), worked=timedelta(hours=3))
    # Two engineers are asked to grade it, blind; neither has yet.
    recruiter = staff["recruiter@example.com"]
    for email in ("interviewer@example.com", "jordan@example.com"):
        grading.assign_grader(hal.id, recruiter, staff[email].id)

    # Gale (on the SRE position) automated the release two days ago; two engineers graded it and the weighted score waits for the team.
    gale = application_of("graded@example.com")
    screen.choose(gale.id, "take_home", gale.candidate)
    attempt = screen.start(gale.id, gale.candidate)
    submissions.submit(
        gale.id,
        gale.candidate,
        [
            submissions.Upload(io.BytesIO(GALE_NOTES), "NOTES.md"),
            submissions.Upload(io.BytesIO(GALE_SCRIPT), "release.sh"),
        ],
    )
    _move_back(gale, attempt, timedelta(days=2), worked=timedelta(hours=3, minutes=40))
    code = None
    for email, (scores, recommendation, comments, summary) in GALE_GRADES.items():
        grading.assign_grader(gale.id, recruiter, staff[email].id)
        code = code or db.session.get(Attempt, attempt.id).code
        criteria = attempt.assignment.criteria
        grading.submit_grade(
            code,
            staff[email],
            grading.GradeInput(
                scores={c.id: score for c, score in zip(criteria, scores)},
                comments={c.id: comment for c, comment in zip(criteria, comments)},
                recommendation=recommendation,
                comment=summary,
            ),
        )


GALE_NOTES = b"""# Notes

## How to run it

    ./release.sh 2.14.0      # release a version
    ./release.sh --rollback  # back to the version before

## What it protects against

- `set -eu` and a check after every step: the first failure stops the release and says which step.
- The migration runs once, before any restart, and the release stops if it fails.
- One server at a time: restart, then wait for /health to answer 200 before the next.
- The previous build stays in place, so a rollback is a symlink switch and a restart.

## Left out on purpose

Ansible or a pipeline would fit a bigger team; for two servers a script anyone can read is safer.
"""

GALE_SCRIPT = b"""#!/bin/sh
# Release the ticketing service: one server at a time, stop at the first failure, keep a rollback.
set -eu
VERSION="$1"
SERVERS="tickets-1 tickets-2"
for server in $SERVERS; do
    scp "build/tickets-$VERSION.tar.gz" "$server:/srv/tickets/releases/"
done
ssh tickets-1 "cd /srv/tickets && ./migrate --to $VERSION"
for server in $SERVERS; do
    ssh "$server" "ln -sfn /srv/tickets/releases/$VERSION /srv/tickets/current && systemctl restart tickets"
    curl --fail --retry 10 --retry-delay 3 "https://$server/health"
done
"""

# (scores per criterion in the rubric's order, recommendation, comments per criterion, summary)
GALE_GRADES = {
    "kim@example.com": (
        (4, 4, 3, 3),
        "strong_yes",
        (
            "Stops at the first failure and runs the migration once, before any restart.",
            "One server at a time with a health check; rollback is a symlink switch.",
            "NOTES.md is short and clear; the rollback flag is not in the script yet.",
            "A plain script, with a good reason given.",
        ),
        "Safe by design and easy to read: what we would want from anyone on the team.",
    ),
    "interviewer@example.com": (
        (3, 4, 3, 2),
        "yes",
        ("A failed health check leaves one server on the new version.", "Solid.", "", "Would like CI to run it."),
        "Good judgement about safety; the half-released state needs a word. Worth meeting.",
    ),
}


def _shift_start(application: Application, attempt: Attempt, ago: timedelta) -> None:
    attempt.started_at -= ago
    attempt.deadline = attempt.deadline_for(attempt.started_at)
    db.session.expire(application, ["progress"])
    progress = application.progress
    progress.waiting_since -= ago
    _align_timeline(application, attempt)


def _move_back(application: Application, attempt: Attempt, ago: timedelta, *, worked: timedelta) -> None:
    """A take-home started `ago` before now and handed in after `worked`."""
    attempt.started_at -= ago
    attempt.deadline = attempt.deadline_for(attempt.started_at)
    version = db.session.scalars(select(Submission).where(Submission.attempt_id == attempt.id)).one()
    version.submitted_at = attempt.started_at + worked
    _align_timeline(application, attempt, version.submitted_at)


def _align_timeline(application: Application, attempt: Attempt, submitted_at=None) -> None:
    """The timeline tells the take-home's history as it was moved back: chosen just before the start,
    started with its deadline, handed in when the version was."""
    events = db.session.scalars(
        select(StageEvent).where(
            StageEvent.application_id == application.id, StageEvent.to_stage_id == attempt.stage_id
        )
    )
    for event in events:
        if event.action == timeline.FORMAT_CHOSEN:
            event.created_at = attempt.started_at - timedelta(minutes=5)
        elif event.action == timeline.TAKEHOME_STARTED:
            event.created_at, event.about_at = attempt.started_at, attempt.deadline
        elif event.action in (timeline.TAKEHOME_HANDED_IN, timeline.TAKEHOME_HANDED_IN_LATE) and submitted_at:
            event.created_at = submitted_at
    db.session.flush()
