"""A position whose technical screen offers both formats with a take-home from the library, and a
candidate who has reached that screen."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from portal.accounts.models import User
from portal.hiring.models import Application, Position
from portal.takehome import library
from portal.takehome.library import Criterion
from portal.takehome.models import Assignment
from tests.scheduling.conftest import NOW, at, team  # noqa: F401  (the booking world of scheduling)

MB = 1024 * 1024
BRIEF = """## The incident

Our importer crashes on a file a customer sent. Find out why, fix it, and add a test.

<script>alert('x')</script> [a trap](javascript:alert(1)) [the logs](https://logs.example/run/1)
"""
CRITERIA = [
    Criterion("Diagnosis", "Finds the real cause, not a symptom.", 3),
    Criterion("Fix and test", "The fix is small and a test proves it.", 2),
]
STARTER = b"def parse(line):\n    return int(line.split(',')[1])\n"


def make_assignment(actor: User, **overrides) -> Assignment:
    fields = dict(
        title="Diagnose the importer crash",
        brief=BRIEF,
        allowed_types=["zip", "text"],
        max_file_bytes=5 * MB,
        max_total_bytes=20 * MB,
        max_files=5,
        time_limit_hours=4,
        start_within_days=7,
        late_submissions_allowed=False,
    )
    fields.update(overrides)
    return library.create_assignment(actor, list(CRITERIA), **fields)


@dataclass
class Screen:
    position: Position
    recruiter: User
    manager: User
    assignment: Assignment
    application: Application
    candidate: User

    @property
    def candidate_zone(self):
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Tokyo")


@pytest.fixture
def screen(app, factory, team) -> Screen:  # noqa: F811  (the fixture imported above)
    """Team's position offers both formats; its candidate (in Tokyo) is at the technical screen."""
    admin = factory.staff("admin", email="ada@staff.example", name="Ada Admin")
    assignment = make_assignment(team.manager)
    library.add_starter_file(team.manager, assignment.id, io.BytesIO(STARTER), "importer.py")
    library.set_position_offer(admin, team.position, formats="both", assignment_id=assignment.id)
    candidate = factory.candidate("tomo@cand.example", name="Tomo Tanaka")
    candidate.timezone = "Asia/Tokyo"
    application = factory.application(candidate, team.position, actor=team.recruiter, advances=2)
    return Screen(team.position, team.recruiter, team.manager, assignment, application, candidate)
