"""A position with a recruiter, an interviewer pool for both on-site rounds, and everyone's week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from portal.accounts.models import User
from portal.hiring.models import Position
from portal.hiring.services import set_qualifications
from portal.scheduling import staff

# A Monday morning a few weeks ahead (so the interviews booked are in the future for the real clock
# too, which decides what "future interviews" are); staff keep no public holidays unless a test says so.
_today = datetime.now(timezone.utc).date() + timedelta(days=21)
NOW = datetime.combine(_today - timedelta(days=_today.weekday()), time(6, 0), tzinfo=timezone.utc)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def at(weekday: int, hour: int, minute: int = 0) -> datetime:
    """A time in Amsterdam in the week of NOW (weekday 1 = that Monday, 6 = Saturday), as a UTC instant."""
    day = NOW.date() + timedelta(days=weekday - 1)
    return datetime.combine(day, time(hour, minute), tzinfo=AMSTERDAM).astimezone(timezone.utc)


NINE_TO_FIVE = [(day, 9 * 60, 17 * 60) for day in range(5)]
ROUND_ONE_KINDS = ["coding", "whiteboarding", "data_structures", "system_design"]


@dataclass
class Team:
    position: Position
    recruiter: User
    engineers: list[User]
    hr: User
    manager: User


@pytest.fixture
def team(app, factory) -> Team:
    app.config["SCHEDULING_DEFAULT_COUNTRY"] = ""
    recruiter = factory.staff("recruiter", email="rita@staff.example", name="Rita Recruiter")
    recruiter.timezone = "Europe/Amsterdam"
    manager = factory.staff("hiring_manager", email="max@staff.example", name="Max Manager")
    position = factory.position(recruiter, hiring_manager_id=manager.id)
    engineers = [factory.staff("interviewer", email=f"eng{i}@staff.example", name=f"Engineer {i}") for i in range(1, 6)]
    hr = factory.staff("hr", email="hana@staff.example", name="Hana HR")
    everyone = [recruiter, manager, hr, *engineers]
    for person in everyone:
        person.timezone = person.timezone if person is recruiter else "Europe/Amsterdam"
        staff.set_weekly_windows(recruiter, person, NINE_TO_FIVE)
    for engineer in engineers:
        set_qualifications(recruiter, engineer, ROUND_ONE_KINDS + ["live_technical", "engineering_manager"])
        staff.set_pool_kinds(recruiter, position, engineer, ROUND_ONE_KINDS + ["live_technical", "engineering_manager"])
    set_qualifications(recruiter, hr, ["hr_behavioural", "hr_culture"])
    staff.set_pool_kinds(recruiter, position, hr, ["hr_behavioural", "hr_culture"])
    return Team(position, recruiter, engineers, hr, manager)
