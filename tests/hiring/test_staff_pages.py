"""Staff pages: positions, the pipeline with filters and SLA flags, and process actions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.hiring import queries
from portal.hiring.models import Application, Position, StageEvent
from portal.hiring.queries import late_entry_ranges
from portal.timeutil import add_working_days
from tests.feedback.helpers import unanimous_team
from tests.helpers import field_error, login, outbox, queries_for
from tests.security.world import table_snapshot


def _staff_client(client, factory, *roles):
    user = factory.staff(*roles)
    login(client, user)
    return user


def test_recruiter_creates_edits_and_closes_a_position(app, client, factory):
    recruiter = _staff_client(client, factory, "recruiter")
    manager = factory.staff("hiring_manager", name="Mo Manager")
    form = {
        "title": "Data Engineer",
        "team": "Insights",
        "location": "Remote",
        "summary": "Pipelines.",
        "description": "Build them.",
        "status": "open",
        "reapply_cooldown_months": "9",
        "sla_days": "4",
        "hiring_manager_id": str(manager.id),
        "recruiter_id": str(recruiter.id),
    }
    response = client.post("/staff/positions/new", data=form)
    assert response.status_code == 302
    position = db.session.scalars(select(Position)).one()
    assert (position.title, position.reapply_cooldown_months, position.hiring_manager_id) == (
        "Data Engineer",
        9,
        manager.id,
    )
    assert "Data Engineer" in client.get("/positions").get_data(as_text=True)

    response = client.post(f"/staff/positions/{position.id}/edit", data=dict(form, title="Senior Data Engineer"))
    assert response.status_code == 302
    assert client.get(f"/staff/positions/{position.id}/close").status_code == 200
    assert client.post(f"/staff/positions/{position.id}/close", data={"applications": "continue"}).status_code == 302
    db.session.refresh(position)
    assert (position.title, position.status) == ("Senior Data Engineer", "closed")
    assert f'href="/positions/{position.id}"' not in client.get("/positions").get_data(as_text=True)
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "positions").order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["position.create", "position.update", "position.close"]
    # The edit's audit entry says what each changed field was before and after.
    assert entries[1].data["changes"] == {"title": {"from": "Data Engineer", "to": "Senior Data Engineer"}}


def test_position_form_refuses_bad_input_and_keeps_it(app, client, factory):
    _staff_client(client, factory, "recruiter")
    response = client.post(
        "/staff/positions/new",
        data={
            "title": "Keep this title",
            "team": "",
            "status": "open",
            "reapply_cooldown_months": "3",
            "sla_days": "5",
            "hiring_manager_id": "0",
            "recruiter_id": "0",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Keep this title" in page and "between 6 and 12" in page and 'id="team-error"' in page
    response = client.post(
        "/staff/positions/new",
        data={
            "title": "T",
            "team": "T",
            "status": "open",
            "reapply_cooldown_months": "6.5",
            "sla_days": "0",
            "hiring_manager_id": "0",
            "recruiter_id": "0",
        },
    )
    page = response.get_data(as_text=True)
    assert "between 1 and 30 working days" in page and "This field is required" not in page
    assert db.session.scalar(select(func.count()).select_from(Position)) == 0


def test_pipeline_lists_stage_days_and_overdue_flag(app, client, factory):
    recruiter = _staff_client(client, factory, "recruiter")
    position = factory.position(recruiter)
    fresh = factory.application(factory.candidate(name="Fresh Fern"), position, actor=recruiter)
    late = factory.application(factory.candidate(name="Late Lou"), position, actor=recruiter)
    late.stage_entered_at -= timedelta(days=14)
    db.session.commit()

    page = client.get(f"/staff/positions/{position.id}/pipeline").get_data(as_text=True)
    assert "Fresh Fern" in page and "Late Lou" in page and "Overdue" in page
    overdue_only = client.get(f"/staff/positions/{position.id}/pipeline?overdue=1").get_data(as_text=True)
    assert "Late Lou" in overdue_only and "Fresh Fern" not in overdue_only
    assert late.sla_overdue() and not fresh.sla_overdue()


def test_pipeline_search_filters_and_pagination(app, client, factory):
    recruiter = _staff_client(client, factory, "recruiter")
    position = factory.position(recruiter)
    for index in range(30):
        factory.application(
            factory.candidate(f"person{index:02d}@example.com", name=f"Person {index:02d}"),
            position,
            advances=1 if index < 3 else 0,
            actor=recruiter,
        )
    url = f"/staff/positions/{position.id}/pipeline"
    first = client.get(url).get_data(as_text=True)
    assert "30 applications found" in first and "Page 1 of 2" in first
    assert "27 applications found" not in first
    second = client.get(url + "?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second
    found = client.get(url + "?q=PERSON07%40").get_data(as_text=True)
    assert "1 application found" in found and "Person 07" in found
    screen = position.process.stage_by_key("recruiter_screen")
    by_stage = client.get(url + f"?stage={screen.id}").get_data(as_text=True)
    assert "3 applications found" in by_stage
    assert client.get(url + "?page=abc&stage=x&status=bogus").status_code == 200
    assert client.get(url + "?page=99999999999999999999&stage=99999999999999999999").status_code == 200
    beyond = client.get(url + "?page=7").get_data(as_text=True)
    assert "Page 2 of 2" in beyond and "Person" in beyond
    assert "0 applications found" in client.get(url + "?q=%25").get_data(as_text=True)
    assert "0 applications found" in client.get(url + "?q=_").get_data(as_text=True)


def test_pipeline_page_uses_a_constant_number_of_queries(app, client, factory):
    recruiter = _staff_client(client, factory, "recruiter")
    position = factory.position(recruiter)
    url = f"/staff/positions/{position.id}/pipeline"

    factory.application(position=position, actor=recruiter)
    small = queries_for(client, url)
    for _ in range(15):
        factory.application(position=position, actor=recruiter)
    assert queries_for(client, url) == small


def test_a_cooldown_that_is_not_a_whole_number_gets_one_clear_message(app, client, factory):
    recruiter = _staff_client(client, factory, "recruiter")
    form = {
        "title": "Data Engineer",
        "team": "Insights",
        "status": "open",
        "sla_days": "5",
        "recruiter_id": str(recruiter.id),
    }
    for typed in ("six", "7.5", "1e1", "13"):
        response = client.post("/staff/positions/new", data=dict(form, reapply_cooldown_months=typed))
        page = response.get_data(as_text=True)
        assert response.status_code == 422, typed
        assert field_error(page, "reapply_cooldown_months") == "Error: Choose between 6 and 12 months.", typed
    response = client.post("/staff/positions/new", data=dict(form, reapply_cooldown_months="6", sla_days="five"))
    assert field_error(response.get_data(as_text=True), "sla_days") == "Error: Choose between 1 and 30 working days."
    assert db.session.scalar(select(func.count()).select_from(Position)) == 0


def test_rejection_feedback_with_hidden_or_direction_changing_characters_is_refused_and_kept(app, client, factory):
    recruiter = _staff_client(client, factory, "recruiter")
    application = factory.application(position=factory.position(recruiter), actor=recruiter)
    before = table_snapshot()
    for feedback in ("hi \u202eevil", "Clear\u200b code", "Kind \u2066words\u2069", "Thanks,\r\n\u202eAda"):
        response = client.post(
            f"/staff/applications/{application.id}/reject",
            data={"feedback": feedback, "stage_id": application.stage_id},
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 422, feedback
        assert field_error(page, "feedback") == (
            "Error: Remove the invisible or direction-changing characters from this field."
        )
        assert feedback.splitlines()[-1] in page  # what was typed is kept, to correct it
    assert table_snapshot() == before
    assert db.session.get(Application, application.id).status == "active"


def test_rejection_feedback_keeps_its_line_breaks_and_tabs(app, client, factory):
    recruiter = _staff_client(client, factory, "recruiter")
    application = factory.application(position=factory.position(recruiter), actor=recruiter)
    response = client.post(
        f"/staff/applications/{application.id}/reject",
        data={"feedback": "Strengths:\r\n\t- clear code\r\rGrowth:\r\n\t- tests", "stage_id": application.stage_id},
    )
    assert response.status_code == 302
    event = db.session.scalar(select(StageEvent).where(StageEvent.action == "reject"))
    assert event.candidate_message == "Strengths:\n\t- clear code\n\nGrowth:\n\t- tests"


def test_recruiter_advances_rejects_and_hires_through_the_pages(app, client, factory):
    recruiter = _staff_client(client, factory, "recruiter")
    position = factory.position(recruiter)
    first = factory.application(position=position, actor=recruiter)
    second = factory.application(position=position, advances=5, actor=recruiter)

    page = client.get(f"/staff/applications/{first.id}").get_data(as_text=True)
    assert (
        "Advance to Recruiter screen" in page and "Hire" not in page.split("Actions", 1)[1].split("Application", 1)[0]
    )
    assert client.post(f"/staff/applications/{first.id}/advance", data={"stage_id": first.stage_id}).status_code == 302
    first = db.session.get(Application, first.id)
    assert first.stage.key == "recruiter_screen"

    response = client.post(f"/staff/applications/{first.id}/reject", data={"feedback": "", "stage_id": first.stage_id})
    assert response.status_code == 422 and 'id="feedback-error"' in response.get_data(as_text=True)
    response = client.post(
        f"/staff/applications/{first.id}/reject", data={"feedback": "Great communication.", "stage_id": first.stage_id}
    )
    assert response.status_code == 302
    assert db.session.get(Application, first.id).status == "rejected"

    # The recruiter cannot record a hire: only the hiring manager, with the team's unanimous vote.
    response = client.post(f"/staff/applications/{second.id}/hire", data={"stage_id": second.stage_id})
    assert response.status_code == 409 and db.session.get(Application, second.id).status == "active"
    manager = app.test_client()
    login(manager, unanimous_team(second))
    assert manager.post(f"/staff/applications/{second.id}/hire", data={"stage_id": second.stage_id}).status_code == 302
    assert db.session.get(Application, second.id).status == "hired"
    # An illegal move is refused with a message, and changes nothing.
    response = client.post(f"/staff/applications/{second.id}/advance", data={"stage_id": second.stage_id})
    assert response.status_code == 409
    assert db.session.get(Application, second.id).stage.key == "outcome"


def test_a_reject_refused_for_a_stale_page_shows_the_stage_now_and_keeps_the_feedback(app, client, factory):
    recruiter = _staff_client(client, factory, "recruiter")
    application = factory.application(position=factory.position(recruiter), actor=recruiter)
    seen = application.stage_id
    assert client.post(f"/staff/applications/{application.id}/advance", data={"stage_id": seen}).status_code == 302
    feedback = "Thank you; we chose someone closer to the role."
    response = client.post(
        f"/staff/applications/{application.id}/reject", data={"feedback": feedback, "stage_id": seen}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "changed since you opened" in page and feedback in page
    now = db.session.get(Application, application.id)
    assert now.status == "active" and "They are at <strong>Recruiter screen</strong>" in page
    # The form now carries the stage the page shows: sending it again acts on that stage.
    assert f'name="stage_id" type="hidden" value="{now.stage_id}"' in page
    again = client.post(
        f"/staff/applications/{application.id}/reject", data={"feedback": feedback, "stage_id": now.stage_id}
    )
    assert again.status_code == 302 and db.session.get(Application, application.id).status == "rejected"


def test_hiring_manager_only_sees_own_positions(app, client, factory):
    manager = _staff_client(client, factory, "hiring_manager")
    own = factory.position(hiring_manager_id=manager.id, title="Own Role")
    other = factory.position(title="Other Role")
    own_application = factory.application(position=own)
    other_application = factory.application(position=other)
    listing = client.get("/staff/positions").get_data(as_text=True)
    assert "Own Role" in listing and "Other Role" not in listing
    assert client.get(f"/staff/positions/{own.id}/pipeline").status_code == 200
    assert client.get(f"/staff/positions/{other.id}/pipeline").status_code == 404
    assert client.get(f"/staff/applications/{own_application.id}").status_code == 200
    assert client.get(f"/staff/applications/{other_application.id}").status_code == 404
    assert client.post(f"/staff/applications/{other_application.id}/advance").status_code == 404
    assert db.session.get(Application, other_application.id).stage.key == "applied"


def test_staff_views_of_applications_and_cvs_are_audited(app, client, factory):
    recruiter = _staff_client(client, factory, "recruiter")
    application = factory.application(actor=recruiter)
    client.get(f"/staff/applications/{application.id}")
    assert client.get(f"/staff/applications/{application.id}/cv").status_code == 200
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == recruiter.id)).all()
    assert "application.view" in actions and "application.cv_download" in actions


def test_every_stage_change_is_in_audit_log_and_timeline(app, client, factory):
    recruiter = factory.staff("recruiter")
    application = factory.application(advances=3, actor=recruiter)
    audit = db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "applications", AuditEntry.object_id == application.id)
        .order_by(AuditEntry.id)
    ).all()
    assert audit == ["application.create"] + ["application.advance"] * 3
    login(client, application.candidate)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    for stage in ("Recruiter screen", "Technical screen", "On-site, round 1"):
        assert f"Moved to {stage}" in page


def test_response_time_follows_the_position_setting(app, factory):
    from datetime import datetime, timezone

    application = factory.application(position=factory.position(sla_days=2))
    application.stage_entered_at = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)  # a Friday
    assert application.sla_due_at() == datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)  # Tuesday
    assert application.sla_overdue(datetime(2026, 11, 24, 9, 1, tzinfo=timezone.utc))
    assert not application.sla_overdue(datetime(2026, 11, 24, 8, 59, tzinfo=timezone.utc))


def test_double_click_on_advance_moves_only_one_stage(app, client, factory):
    recruiter = _staff_client(client, factory, "recruiter")
    application = factory.application(actor=recruiter)
    shown_stage = application.stage_id
    assert (
        client.post(f"/staff/applications/{application.id}/advance", data={"stage_id": shown_stage}).status_code == 302
    )
    second = client.post(f"/staff/applications/{application.id}/advance", data={"stage_id": shown_stage})
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "changed since you opened the page" in page and "Recruiter screen" in page
    assert db.session.get(Application, application.id).stage.key == "recruiter_screen"
    assert len([m for m in outbox("application_advance")]) == 1


def test_refused_action_shows_the_reason_on_the_portal_page(app, client, factory):
    recruiter = _staff_client(client, factory, "recruiter")
    application = factory.application(advances=5, actor=recruiter)
    response = client.post(f"/staff/applications/{application.id}/advance", data={"stage_id": application.stage_id})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "hire or reject instead" in page and "<h1>" in page


def test_control_characters_are_refused_next_to_the_field(app, client, factory):
    recruiter = _staff_client(client, factory, "recruiter")
    form = {
        "title": "Null\x00Title",
        "team": "Ops\r\nBcc: x@example.com",
        "status": "open",
        "reapply_cooldown_months": "6",
        "sla_days": "5",
        "hiring_manager_id": "0",
        "recruiter_id": "0",
        "description": "Two lines\nare fine here.",
    }
    response = client.post("/staff/positions/new", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="title-error"' in page and 'id="team-error"' in page
    assert 'id="description-error"' not in page
    assert db.session.scalar(select(func.count()).select_from(Position)) == 0
    position = factory.position(recruiter)
    assert client.get(f"/staff/positions/{position.id}/pipeline?q=%00x").status_code == 200


def test_a_stage_action_without_the_shown_stage_is_refused_even_when_many_race(app, client, factory):
    from tests.helpers import race_requests

    recruiter = _staff_client(client, factory, "recruiter")
    application = factory.application(actor=recruiter)
    for data in ({}, {"stage_id": ""}, {"stage_id": "abc"}, {"stage_id": "1.5"}, {"stage_id": "-1"}):
        assert client.post(f"/staff/applications/{application.id}/advance", data=data).status_code == 400, data
        assert (
            client.post(f"/staff/applications/{application.id}/reject", data=dict(data, feedback="Thanks")).status_code
            == 400
        ), data
    # Ten clicks at once without a stage: none acts. Ten with the shown stage: exactly one acts.
    statuses = race_requests(app, recruiter, 10, "post", f"/staff/applications/{application.id}/advance", data={})
    assert statuses == [400] * 10
    statuses = race_requests(
        app,
        recruiter,
        10,
        "post",
        f"/staff/applications/{application.id}/advance",
        data={"stage_id": application.stage_id},
    )
    assert sorted(statuses) == [302] + [409] * 9
    db.session.expire_all()
    assert db.session.get(Application, application.id).stage.key == "recruiter_screen"
    assert len(outbox("application_advance")) == 1


def test_closing_a_position_can_end_its_applications_with_a_message(app, client, factory):
    recruiter = _staff_client(client, factory, "recruiter")
    position = factory.position(recruiter, title="Closing Role")
    going_on = factory.application(position=position, actor=recruiter, advances=1)
    finished = factory.application(position=position, actor=recruiter)
    from portal.hiring import process
    from portal.hiring import services as hiring

    hiring.move(finished.id, process.Action.WITHDRAW, finished.candidate)
    page = client.get(f"/staff/positions/{position.id}/close").get_data(as_text=True)
    assert "1 application is in progress" in page
    response = client.post(f"/staff/positions/{position.id}/close", data={"applications": "close", "message": ""})
    assert response.status_code == 422 and 'id="message-error"' in response.get_data(as_text=True)
    assert db.session.get(Position, position.id).status == "open"
    response = client.post(
        f"/staff/positions/{position.id}/close",
        data={"applications": "close", "message": "The team's plans changed; thank you."},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, going_on.id).status == "closed"
    assert db.session.get(Application, finished.id).status == "withdrawn"
    [mail] = outbox("application_close")
    assert mail.to_addr == going_on.candidate.email and "The team's plans changed" in mail.body_text
    candidate = app.test_client()
    login(candidate, going_on.candidate)
    page = candidate.get(f"/applications/{going_on.id}").get_data(as_text=True)
    assert "The position was closed" in page and "The team&#39;s plans changed; thank you." in page


def test_closing_a_position_can_let_its_applications_continue(app, client, factory):
    recruiter = _staff_client(client, factory, "recruiter")
    position = factory.position(recruiter, title="Closing Role")
    going_on = factory.application(position=position, actor=recruiter)
    assert client.post(f"/staff/positions/{position.id}/close", data={"applications": "continue"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, going_on.id).status == "active"
    assert outbox("application_close") == []
    candidate = app.test_client()
    login(candidate, going_on.candidate)
    page = candidate.get(f"/applications/{going_on.id}").get_data(as_text=True)
    assert "no longer takes new applications. Yours continues" in page


def test_views_of_one_application_are_audited_once_an_hour_per_viewer(app, client, factory):
    recruiter = _staff_client(client, factory, "recruiter")
    application = factory.application(actor=recruiter)
    for _ in range(5):
        assert client.get(f"/staff/applications/{application.id}").status_code == 200
    views = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "application.view")).all()
    assert len(views) == 1 and views[0].actor_id == recruiter.id
    views[0].at -= timedelta(hours=2)
    db.session.commit()
    client.get(f"/staff/applications/{application.id}")
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "application.view")).all()) == 2


def test_a_hired_candidate_is_not_offered_to_apply_again(app, client, factory):
    recruiter = factory.staff("recruiter")
    application = factory.application(actor=recruiter, advances=5)
    from portal.hiring import process
    from portal.hiring import services as hiring

    hiring.move(application.id, process.Action.HIRE, unanimous_team(application))
    login(client, application.candidate)
    page = client.get(f"/positions/{application.position_id}").get_data(as_text=True)
    assert "Apply for this position" not in page and "You already have an offer" in page


@settings(max_examples=300, deadline=None)
@given(
    now=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(timezone.utc)),
    waited=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)),
    working_days=st.integers(min_value=0, max_value=30),
)
def test_overdue_filter_finds_exactly_the_applications_past_their_response_date(now, waited, working_days):
    entered = now - waited
    in_ranges = any(
        (start is None or start <= entered) and entered < end for start, end in late_entry_ranges(now, working_days)
    )
    assert in_ranges == (add_working_days(entered, working_days) < now)


def test_overdue_filter_matches_the_flag_on_every_weekday(app, client, factory):
    recruiter = _staff_client(client, factory, "recruiter")
    position = factory.position(recruiter, sla_days=3)
    names = []
    for hours in range(0, 24 * 9, 7):  # entered at every time of day over nine days
        application = factory.application(factory.candidate(name=f"Waited {hours:03d}h"), position, actor=recruiter)
        application.stage_entered_at -= timedelta(hours=hours)
        names.append((f"Waited {hours:03d}h", application))
    db.session.commit()
    page = client.get(f"/staff/positions/{position.id}/pipeline?overdue=1").get_data(as_text=True)
    late = {name for name, application in names if application.sla_overdue()}
    assert late and len(late) < len(names)
    assert {name for name, _ in names if name in page} == late


def test_pipeline_counts_stop_at_the_limit_and_pages_go_on(app, client, factory, monkeypatch):
    monkeypatch.setattr(queries, "COUNT_LIMIT", 4)
    monkeypatch.setattr(queries, "PAGE_SIZE", 3)
    recruiter = _staff_client(client, factory, "recruiter")
    position = factory.position(recruiter)
    for index in range(7):
        factory.application(factory.candidate(name=f"Person {index}"), position, actor=recruiter)
    url = f"/staff/positions/{position.id}/pipeline"
    first = client.get(url).get_data(as_text=True)
    assert "More than 4 applications found" in first and "4+" in first
    assert "Page 1</li>" in first and 'rel="next"' in first
    third = client.get(url + "?page=3").get_data(as_text=True)
    assert "Person 6" in third and 'rel="next"' not in third and 'rel="prev"' in third
    beyond = client.get(url + "?page=9").get_data(as_text=True)
    assert "Person" not in beyond.split("applications found", 1)[1] and "First page" in beyond
    searched = client.get(url + "?q=person+6").get_data(as_text=True)
    assert "1 application found" in searched and "Page 1 of" not in searched


def test_an_admin_closing_a_position_can_end_its_applications(app, client, factory):
    admin = _staff_client(client, factory, "admin")
    recruiter = factory.staff("recruiter")
    position = factory.position(recruiter, title="Closing Role")
    going_on = factory.application(position=position, actor=recruiter)
    response = client.post(
        f"/staff/positions/{position.id}/close", data={"applications": "close", "message": "Thank you for your time."}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, going_on.id).status == "closed"
    assert db.session.get(Position, position.id).status == "closed"
    event = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "application.close")).one()
    assert event.actor_id == admin.id


def test_two_people_closing_one_position_at_once_close_it_once(app, client, factory):
    from tests.helpers import race_requests

    recruiter = factory.staff("recruiter")
    position = factory.position(recruiter, title="Closing Role")
    going_on = factory.application(position=position, actor=recruiter)
    statuses = race_requests(
        app,
        recruiter,
        5,
        "post",
        f"/staff/positions/{position.id}/close",
        data={"applications": "close", "message": "Thank you for your time."},
    )
    assert sorted(statuses) == [302, 422, 422, 422, 422]  # the others are told it is already closed
    db.session.expire_all()
    closes = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "position.close")).all()
    assert len(closes) == 1
    assert db.session.get(Application, going_on.id).status == "closed"
    assert len(outbox("application_close")) == 1
