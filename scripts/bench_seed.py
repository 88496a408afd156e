"""Bulk data for the benchmark: many applications in one position, written with SQLAlchemy Core.

The accounts, the process and the positions come from the services (so passwords are hashed
and the default process is what the product creates); the candidates, their applications and
the timelines are bulk INSERTs, consistent with what the state machine would have written.
"""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, text

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.extensions import db
from portal.hiring import services as hiring
from portal.hiring.models import Application, ApplicationStatus, StageEvent
from portal.storage.backends import get_storage
from portal.storage.models import StoredFile
from portal.timeutil import add_months, utcnow

PASSWORD = "benchmark-password"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
FIRST = [
    "Ada",
    "Bo",
    "Chen",
    "Dana",
    "Eli",
    "Farah",
    "Gus",
    "Hana",
    "Ivo",
    "Jun",
    "Kira",
    "Lars",
    "Mina",
    "Noor",
    "Otto",
    "Pia",
    "Quinn",
    "Rosa",
    "Sami",
    "Tess",
    "Uma",
    "Vik",
    "Wren",
    "Yara",
    "Zeno",
]
LAST = [
    "Abara",
    "Berg",
    "Costa",
    "Dube",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quispe",
    "Rossi",
    "Silva",
    "Tanaka",
    "Usman",
    "Varga",
    "Wong",
    "Xu",
    "Young",
    "Zimmer",
]
# Where applications in progress wait, as in a funnel: most at the first stages.
ACTIVE_STAGE_WEIGHTS = [40, 25, 15, 10, 6, 4]  # Applied ... Decision
CLOSED_STAGE_WEIGHTS = [50, 25, 15, 7, 3]  # where rejections and withdrawals happen
APPLICATION_FIELDS = dict(
    answers={"motivation": "I like hard problems and kind teams.", "proud_of": "", "link": ""}, version=1
)
BATCH = 5000


@dataclass(frozen=True)
class Seeded:
    position_id: int  # the position holding the bulk applications
    other_position_id: int
    recruiter_email: str
    candidate_email: str  # a candidate with applications in three positions
    candidate_application_id: int  # that candidate's application in progress, with a timeline
    staff_application_id: int  # an application in progress in the big position
    applications: int
    password: str = PASSWORD


def _status_for(index: int) -> ApplicationStatus:
    # 60 % in progress, 20 % rejected, 15 % withdrawn, 5 % hired.
    slot = index % 20
    if slot < 12:
        return ApplicationStatus.ACTIVE
    if slot < 16:
        return ApplicationStatus.REJECTED
    if slot < 19:
        return ApplicationStatus.WITHDRAWN
    return ApplicationStatus.HIRED


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + (end - start) * rng.random()


def _next_id(conn, table) -> int:
    return (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1


def _history(rng, status, stages: list[int], created, now, candidate_id, recruiter_id):
    """Where one application stands and the timeline that led there (as the state machine writes it)."""
    if status is ApplicationStatus.HIRED:
        reached = len(stages) - 2  # Decision, then the hire moves it to Outcome
    elif status is ApplicationStatus.ACTIVE:
        reached = rng.choices(range(len(ACTIVE_STAGE_WEIGHTS)), ACTIVE_STAGE_WEIGHTS)[0]
    else:
        reached = rng.choices(range(len(CLOSED_STAGE_WEIGHTS)), CLOSED_STAGE_WEIGHTS)[0]
    moments = sorted(_between(rng, created, now) for _ in range(reached + 1))
    events = [
        dict(
            action="applied",
            from_stage_id=None,
            to_stage_id=stages[0],
            actor_id=candidate_id,
            created_at=created,
            candidate_message="",
        )
    ]
    for step in range(1, reached + 1):
        events.append(
            dict(
                action="advance",
                from_stage_id=stages[step - 1],
                to_stage_id=stages[step],
                actor_id=recruiter_id,
                created_at=moments[step - 1],
                candidate_message="",
            )
        )
    stage, entered = stages[reached], (moments[reached - 1] if reached else created)
    closed_at = reapply_after = None
    if status is not ApplicationStatus.ACTIVE:
        closed_at = moments[-1]
        action, actor, message = {
            ApplicationStatus.HIRED: ("hire", recruiter_id, ""),
            ApplicationStatus.REJECTED: (
                "reject",
                recruiter_id,
                "Thank you for your time; we chose someone whose experience matched the role more closely.",
            ),
            ApplicationStatus.WITHDRAWN: ("withdraw", candidate_id, ""),
        }[status]
        before = stage
        if status is ApplicationStatus.HIRED:
            stage, entered = stages[-1], closed_at
        if status is ApplicationStatus.REJECTED:
            reapply_after = add_months(closed_at.date(), 6)
        events.append(
            dict(
                action=action,
                from_stage_id=before,
                to_stage_id=stage,
                actor_id=actor,
                created_at=closed_at,
                candidate_message=message,
            )
        )
    row = dict(
        stage_id=stage,
        status=status.value,
        stage_entered_at=entered,
        created_at=created,
        closed_at=closed_at,
        reapply_after=reapply_after,
    )
    return row, events


def seed(applications: int, *, other_positions: int = 11, days: int = 120, seed_value: int = 2026) -> Seeded:
    """Fill an empty schema (inside an app context): `applications` in one position, plus a few elsewhere."""
    rng = random.Random(seed_value)
    now = utcnow()
    recruiter = accounts.create_staff(
        email="bench-recruiter@example.com", name="Robin Recruiter", roles=["recruiter"], password=PASSWORD
    )
    description = (
        "## The role\n\nYou build the **platform** other teams ship on.\n\n"
        "- Own services end to end\n- Pair with product engineers\n- Keep it boring and fast\n"
    )
    position = hiring.create_position(
        recruiter,
        title="Platform Engineer",
        team="Platform",
        location="Remote",
        summary="Build the platform every team ships on.",
        description=description,
        recruiter_id=recruiter.id,
    )
    others = [
        hiring.create_position(
            recruiter,
            title=f"{area} Engineer",
            team=area,
            location="Berlin",
            summary=f"Work on {area.lower()} with a small team.",
            description=description,
        )
        for area in [
            "Data",
            "Frontend",
            "Mobile",
            "Security",
            "Search",
            "Payments",
            "Growth",
            "Infra",
            "Design Systems",
            "ML",
            "Billing",
            "Identity",
            "Support Tools",
        ][:other_positions]
    ]
    stages = [stage.id for stage in position.process.stages]
    other_ids = [other.id for other in others]
    password_hash = recruiter.password_hash  # one hash for every bench account: hashing 100,000 would take hours
    cv = get_storage().save(io.BytesIO(PDF), prefix="cv", suffix=".pdf", max_bytes=len(PDF))
    cv_sha256 = hashlib.sha256(PDF).hexdigest()
    recruiter_id, position_id = recruiter.id, position.id
    db.session.remove()

    users, apps, events, files = User.__table__, Application.__table__, StageEvent.__table__, StoredFile.__table__
    with db.engine.begin() as conn:
        # Ids chosen here rather than returned one by one: plain executemany is many times quicker.
        first_user = _next_id(conn, users)
        first_app = _next_id(conn, apps)
        first_file = _next_id(conn, files)
        candidate_ids = range(first_user, first_user + applications)
        application_ids = range(first_app, first_app + applications)
        # One CV record per application (each application owns its CV); all name the same bytes' copy.
        file_ids = range(first_file, first_file + applications + 2)

        def cv_record(index: int, candidate: int) -> dict:
            return dict(
                id=file_ids[index],
                owner_type="users",
                owner_id=candidate,
                kind="cv",
                original_name="cv.pdf",
                name="cv.pdf",
                size=cv.size,
                content_type="application/pdf",
                sha256=cv_sha256,
                storage_key=f"{cv.key}.{index}",
                created_at=now,
                created_by_id=candidate,
            )

        for start in range(0, applications, BATCH):
            conn.execute(
                insert(users),
                [
                    dict(
                        id=candidate_ids[i],
                        email=f"bench{i}@example.com",
                        name=f"{FIRST[i % len(FIRST)]} {LAST[i // len(FIRST) % len(LAST)]} {i}",
                        password_hash=password_hash,
                        is_staff=False,
                        active=True,
                        email_verified_at=now,
                        timezone="Europe/Berlin",
                        session_version=1,
                        created_at=now - timedelta(days=days),
                    )
                    for i in range(start, min(start + BATCH, applications))
                ],
            )
        for start in range(0, applications, BATCH):
            app_rows, event_rows = [], []
            conn.execute(
                insert(files), [cv_record(i, candidate_ids[i]) for i in range(start, min(start + BATCH, applications))]
            )
            for i in range(start, min(start + BATCH, applications)):
                created = now - timedelta(days=days) * (1 - i / applications) - timedelta(minutes=rng.random())
                row, history = _history(rng, _status_for(i), stages, created, now, candidate_ids[i], recruiter_id)
                app_rows.append(
                    dict(
                        row,
                        id=application_ids[i],
                        position_id=position_id,
                        candidate_id=candidate_ids[i],
                        **APPLICATION_FIELDS,
                        cv_file_id=file_ids[i],
                    )
                )
                event_rows += [dict(event, application_id=application_ids[i]) for event in history]
            conn.execute(insert(apps), app_rows)
            conn.execute(insert(events), event_rows)

        # The candidate whose pages are measured also applied elsewhere: one rejection, one fresh application.
        featured_index = max(i for i in range(applications) if _status_for(i) is ApplicationStatus.ACTIVE)
        featured = candidate_ids[featured_index]
        extra = []
        for other_id, status in zip(other_ids, (ApplicationStatus.REJECTED, ApplicationStatus.ACTIVE)):
            created = now - timedelta(days=30 if status is ApplicationStatus.REJECTED else 2)
            row, history = _history(rng, status, stages, created, now, featured, recruiter_id)
            app_id = application_ids[-1] + 1 + len(extra)
            file_index = applications + len(extra)
            conn.execute(insert(files), [cv_record(file_index, featured)])
            conn.execute(
                insert(apps),
                [
                    dict(
                        row,
                        id=app_id,
                        position_id=other_id,
                        candidate_id=featured,
                        **APPLICATION_FIELDS,
                        cv_file_id=file_ids[file_index],
                    )
                ],
            )
            conn.execute(insert(events), [dict(event, application_id=app_id) for event in history])
            extra.append(app_id)
        if conn.dialect.name == "postgresql":
            for table in (users, apps, files):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT max(id) FROM {table.name}))"
                    )
                )

    active = [i for i in range(applications) if _status_for(i) is ApplicationStatus.ACTIVE]
    return Seeded(
        position_id=position_id,
        other_position_id=other_ids[0],
        recruiter_email="bench-recruiter@example.com",
        candidate_email=f"bench{featured_index}@example.com",
        candidate_application_id=application_ids[featured_index],
        staff_application_id=application_ids[active[len(active) // 2]],
        applications=applications + len(extra),
    )
