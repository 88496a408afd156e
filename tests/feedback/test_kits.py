"""Interview kits: before an interview its interviewer reads what to probe, each competency with strong
and weak answers, and real-world scenarios; admins edit the kits as data."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.feedback import catalogue, services
from portal.feedback.models import Competency, InterviewKit
from tests.feedback.helpers import submit
from tests.helpers import field_error, login
from tests.security.world import table_snapshot


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def test_the_kit_shows_what_to_probe_competencies_with_strong_and_weak_answers_and_scenarios(app, team, round_one):
    engineer = team.engineers[0]  # the coding interview
    page = _client(app, engineer).get(f"/staff/interviews/{round_one.of(engineer).id}/kit").get_data(as_text=True)
    for name in ("Problem solving", "Code quality", "Testing", "Communication while coding"):
        assert name in page
    assert "Strong:" in page and "Weak:" in page
    assert "Our app crashes under this input" in page
    assert "Freedom &amp; Responsibility" in page and "Leadership" in page
    design = team.engineers[3]
    page = _client(app, design).get(f"/staff/interviews/{round_one.of(design).id}/kit").get_data(as_text=True)
    for name in ("Requirements", "Trade-offs", "Scalability", "Operability"):
        assert name in page
    assert "Our deployment is manual and error prone" in page


def test_every_kind_of_the_default_process_has_a_kit_and_the_four_scenarios_are_offered(app, kits):
    from portal.hiring.default_process import INTERVIEW_KINDS

    have = {kit.kind_key: kit for kit in db.session.scalars(select(InterviewKit))}
    assert set(have) == {key for key, *_ in INTERVIEW_KINDS}
    for key in have:
        assert db.session.scalars(select(Competency).where(Competency.kind_key == key)).first(), key
    every_scenario = " ".join(s for kit in have.values() for s in kit.scenarios)
    for prompt in (catalogue.CRASH, catalogue.BREACH, catalogue.DEPLOY, catalogue.CHURN):
        assert prompt in every_scenario


def test_an_admin_edits_a_kit_retiring_and_adding_competencies(app, team, factory, kits):
    admin = _client(app, factory.staff("admin"))
    page = admin.get("/admin/kits/coding").get_data(as_text=True)
    assert "Problem solving" in page
    coding = list(
        db.session.scalars(select(Competency).where(Competency.kind_key == "coding").order_by(Competency.order))
    )
    data = {"probe": "Probe **this**.", "scenarios": "First scenario\n\nSecond scenario\n"}
    for index, competency in enumerate(coding):
        data[f"competencies-{index}-id"] = str(competency.id)
        data[f"competencies-{index}-name"] = "" if index == 0 else competency.name
    data[f"competencies-{len(coding)}-name"] = "Debugging"
    data[f"competencies-{len(coding)}-strong"] = "Bisects the problem."
    assert admin.post("/admin/kits/coding", data=data).status_code == 302
    db.session.expire_all()
    kit = db.session.get(InterviewKit, "coding")
    assert (kit.probe, kit.scenarios) == ("Probe **this**.", ["First scenario", "Second scenario"])
    names = [c.name for c in services.competencies_for("coding") if c.kind_key == "coding"]
    assert names == [c.name for c in coding[1:]] + ["Debugging"]
    assert db.session.get(Competency, coding[0].id).retired


def test_a_kit_edit_without_guidance_or_naming_another_kinds_competency_changes_nothing(app, factory, kits):
    admin = _client(app, factory.staff("admin"))
    before = table_snapshot()
    response = admin.post("/admin/kits/coding", data={"probe": "", "scenarios": "x"})
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "probe") == "Error: Say what interviewers should probe."
    other = db.session.scalar(select(Competency).where(Competency.kind_key == "system_design"))
    response = admin.post(
        "/admin/kits/coding",
        data={"probe": "ok", "competencies-0-id": str(other.id), "competencies-0-name": "Hijacked"},
    )
    assert response.status_code == 400
    assert table_snapshot() == before
    assert admin.get("/admin/kits/no-such-kind").status_code == 404


def test_only_admins_edit_kits(app, team, kits):
    for person in (team.recruiter, team.manager, team.engineers[0]):
        client = _client(app, person)
        assert client.get("/admin/kits").status_code == 403
        assert client.post("/admin/kits/coding", data={"probe": "mine now"}).status_code == 403
    assert db.session.get(InterviewKit, "coding").probe != "mine now"


def test_a_retired_competency_still_shows_on_the_scorecards_that_rated_it(app, team, round_one, factory):
    engineer = team.engineers[0]
    interview = round_one.of(engineer)
    submit(_client(app, engineer), interview)
    first = db.session.scalar(select(Competency).where(Competency.kind_key == "coding").order_by(Competency.order))
    first.retired = True
    db.session.commit()
    page = _client(app, team.recruiter).get(f"/staff/applications/{round_one.application.id}").get_data(as_text=True)
    assert first.name in page.split('id="scorecards-heading"')[1]


def test_a_competency_row_of_a_kit_with_a_direction_override_is_refused_next_to_it(app, factory, kits):
    admin = _client(app, factory.staff("admin"))
    before = table_snapshot()
    data = {"probe": "Probe this.", "competencies-0-name": "Debugging", "competencies-0-strong": "Bisects \u202eevil"}
    response = admin.post("/admin/kits/coding", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "direction-changing" in field_error(page, "competencies-0-strong")
    assert "Bisects \u202eevil" in page
    assert table_snapshot() == before
