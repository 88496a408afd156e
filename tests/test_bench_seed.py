"""The benchmark's bulk seeding writes what the services would have written, so its figures mean something."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.extensions import db
from portal.hiring.models import Application, Position, StageEvent
from scripts.bench_seed import seed
from tests.helpers import login


def test_bulk_seeding_builds_a_consistent_database_that_the_pages_agree_with(app, client, factory):
    data = seed(200)

    applications = db.session.scalars(select(Application)).unique().all()
    assert len(applications) == data.applications == 202
    assert (
        db.session.scalar(
            select(func.count()).select_from(Application).where(Application.position_id == data.position_id)
        )
        == 200
    )
    assert db.session.scalar(select(func.count()).select_from(User).where(User.is_staff.is_(False))) == 200
    timelines = defaultdict(list)
    for event in db.session.scalars(select(StageEvent).order_by(StageEvent.id)).unique():
        timelines[event.application_id].append(event)
    for application in applications:
        stages = application.position.process.stages
        events = timelines[application.id]
        assert application.stage in stages
        assert (application.stage.is_outcome) == (application.status == "hired")
        assert (events[0].action, events[0].to_stage) == ("applied", stages[0])
        for before, after in zip(events, events[1:]):
            assert after.from_stage == before.to_stage and after.created_at >= before.created_at
        assert events[-1].to_stage == application.stage
        assert application.stage_entered_at <= (application.closed_at or application.stage_entered_at)
        assert (application.closed_at is None) == application.is_active

    # The bench accounts sign in with the bench password, and the pages count what the rows hold.
    active = sum(a.is_active for a in applications if a.position_id == data.position_id)
    login(client, data.recruiter_email, data.password)
    pipeline = client.get(f"/staff/positions/{data.position_id}/pipeline").get_data(as_text=True)
    assert f"{active} applications found" in pipeline
    assert client.get(f"/staff/applications/{data.staff_application_id}").status_code == 200
    client.post("/auth/logout")
    login(client, data.candidate_email, data.password)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert dashboard.count("/applications/") >= 3
    assert client.get(f"/applications/{data.candidate_application_id}").status_code == 200

    # Ids handed out after the bulk rows do not collide with them (PostgreSQL sequences moved on).
    position = db.session.get(Position, data.other_position_id)
    assert factory.application(position=position).id > max(a.id for a in applications)
