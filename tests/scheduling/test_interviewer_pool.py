"""A position's interviewer pool holds only the interviews each member may run by the position's
interview plan: the role that runs the kind, a qualification where the plan asks for one, and the
position's own hiring manager (or recruiter) for the interview that is theirs."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.hiring.services import set_qualifications
from portal.scheduling.models import PoolMember
from tests.helpers import login
from tests.security.world import table_snapshot


def _recruiter(app, team):
    client = app.test_client()
    login(client, team.recruiter)
    return client


def _kinds_of(member) -> list[str]:
    return sorted(db.session.scalars(select(PoolMember.kind_key).where(PoolMember.user_id == member.id)))


def _refused(client, team, member, kinds, message):
    before = table_snapshot()
    response = client.post(f"/staff/positions/{team.position.id}/schedule", data={"member": member.id, "kinds": kinds})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert table_snapshot() == before


def test_another_positions_hiring_manager_cannot_run_this_positions_hiring_manager_interview(app, team, factory):
    other = factory.staff("hiring_manager", email="olga@staff.example", name="Olga Other")
    factory.position(team.recruiter, hiring_manager_id=other.id)
    client = _recruiter(app, team)
    _refused(client, team, other, ["hiring_manager"], "run by this position&#39;s hiring manager, not Olga Other")
    assert _kinds_of(other) == []
    # The position's own hiring manager may be listed for it.
    response = client.post(
        f"/staff/positions/{team.position.id}/schedule", data={"member": team.manager.id, "kinds": ["hiring_manager"]}
    )
    assert response.status_code == 302 and _kinds_of(team.manager) == ["hiring_manager"]


def test_hr_cannot_run_a_coding_interview_and_an_earlier_pool_entry_stays(app, team):
    client = _recruiter(app, team)
    _refused(
        client,
        team,
        team.hr,
        ["hr_behavioural", "coding"],
        "Hana HR cannot run the Coding interview: it is run by staff with the Interviewer role.",
    )
    assert _kinds_of(team.hr) == ["hr_behavioural", "hr_culture"]


def test_an_interviewer_not_qualified_for_a_kind_is_refused_until_qualified(app, team, factory):
    newcomer = factory.staff("interviewer", email="nia@staff.example", name="Nia New")
    set_qualifications(team.recruiter, newcomer, ["coding"])
    client = _recruiter(app, team)
    _refused(
        client,
        team,
        newcomer,
        ["coding", "system_design"],
        "Nia New is not qualified to run the System design interview.",
    )
    response = client.post(
        f"/staff/positions/{team.position.id}/schedule", data={"member": newcomer.id, "kinds": ["coding"]}
    )
    assert response.status_code == 302 and _kinds_of(newcomer) == ["coding"]


def test_the_recruiter_screen_is_the_position_recruiters_own(app, team, factory):
    colleague = factory.staff("recruiter", email="remi@staff.example", name="Remi Recruiter")
    client = _recruiter(app, team)
    _refused(client, team, colleague, ["recruiter_screen"], "run by this position&#39;s recruiter, not Remi Recruiter")
