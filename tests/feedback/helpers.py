"""Filling in a scorecard through its page, as an interviewer does."""

from __future__ import annotations

from portal.feedback import services


def complete_form(interview, *, rating: str = "3", notes: str = "", strengths: str = "", growth: str = "", **extra):
    """Every rating, the Keeper Test and a recommendation: a form that submits."""
    data = {f"rating_{c.id}": rating for c in services.competencies_for(interview.kind_key)}
    data.update(
        keeper_test="yes",
        recommendation="yes",
        private_notes=notes,
        strengths=strengths,
        growth_areas=growth,
        action="submit",
    )
    data.update(extra)
    return data


def submit(client, interview, **fields):
    response = client.post(f"/staff/interviews/{interview.id}/scorecard", data=complete_form(interview, **fields))
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return response


def unanimous_team(application):
    """What a hire needs: an on-site interview held, its scorecard submitted and its interviewer's vote
    for hire, and the position's hiring manager (created if it has none), who records the hire.
    The application must be at the Decision stage. Returns the hiring manager."""
    import uuid
    from datetime import timedelta

    from portal.accounts import services as accounts
    from portal.extensions import db
    from portal.feedback import catalogue, decision
    from portal.hiring.models import Application
    from portal.scheduling.models import Interview, InterviewStatus
    from portal.timeutil import utcnow
    from tests.helpers import PASSWORD

    application = db.session.get(Application, application.id)
    position = application.position
    if position.hiring_manager_id is None:
        manager = accounts.create_staff(
            email=f"hm-{uuid.uuid4().hex[:8]}@example.com",
            name="Hiring Manager",
            roles=("hiring_manager",),
            password=PASSWORD,
        )
        position.hiring_manager_id = manager.id
    interviewer = accounts.create_staff(
        email=f"int-{uuid.uuid4().hex[:8]}@example.com",
        name="On-site Interviewer",
        roles=("interviewer",),
        password=PASSWORD,
    )
    catalogue.ensure_defaults()
    stage = position.process.stage_by_key("onsite_1")
    start = utcnow() - timedelta(days=2)
    interview = Interview(
        application_id=application.id,
        stage_id=stage.id,
        kind_key="coding",
        interviewer_id=interviewer.id,
        candidate_id=application.candidate_id,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        status=InterviewStatus.COMPLETED.value,
    )
    db.session.add(interview)
    db.session.commit()
    ratings = {c.id: 3 for c in services.competencies_for("coding")}
    services.save(
        interview.id,
        interviewer,
        services.ScorecardInput(ratings=ratings, keeper_test="yes", recommendation="yes"),
        submit=True,
    )
    decision.vote(application.id, interviewer, "hire", "Ready for the role.")
    return db.session.get(type(interviewer), position.hiring_manager_id)
