"""A held first on-site round over the scheduling tests' team, with the default kits seeded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.hiring import services as hiring
from portal.scheduling.models import Interview, InterviewStatus
from portal.timeutil import utcnow
from tests.scheduling.conftest import team  # noqa: F401  (the fixture)


@dataclass
class Round:
    application: object
    interviews: list[Interview]  # coding, whiteboarding, data structures, system design, HR behavioural

    def of(self, user) -> Interview:
        return next(i for i in self.interviews if i.interviewer_id == user.id)


@pytest.fixture
def kits(app):
    from portal.feedback import catalogue

    catalogue.ensure_defaults()
    db.session.commit()


def held_round(application, crew, *, ended_hours_ago: float = 30, status=InterviewStatus.COMPLETED.value) -> Round:
    """The first on-site round of `application`, held in the past: engineers 1 to 4 and HR."""
    stage = application.position.process.stage_by_key("onsite_1")
    interviewers = [*crew.engineers[:4], crew.hr]
    total = sum(p.minutes + 15 for p in stage.interview_plan)
    start = utcnow() - timedelta(hours=ended_hours_ago, minutes=total)
    interviews = []
    for planned, interviewer in zip(stage.interview_plan, interviewers):
        interview = Interview(
            application_id=application.id,
            stage_id=stage.id,
            planned_interview_id=planned.id,
            kind_key=planned.kind_key,
            interviewer_id=interviewer.id,
            candidate_id=application.candidate_id,
            group_id=f"round-{application.id}",
            starts_at=start,
            ends_at=start + timedelta(minutes=planned.minutes),
            status=status,
        )
        db.session.add(interview)
        hiring.add_to_panel(crew.recruiter, application, interviewer)
        interviews.append(interview)
        start += timedelta(minutes=planned.minutes + 15)
    db.session.commit()
    return Round(application, interviews)


@pytest.fixture
def round_one(app, team, factory, kits):  # noqa: F811
    application = factory.application(
        factory.candidate(name="Olu Onsite"), team.position, advances=3, actor=team.recruiter
    )
    return held_round(application, team)
