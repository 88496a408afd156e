"""Reaching the technical screen, the candidate chooses its format: their move, with the answer
clock standing still, on their page, their dashboard and the staff pipeline alike."""

from __future__ import annotations

from datetime import timedelta

from portal.extensions import db
from portal.hiring import queries
from portal.hiring.models import Application
from portal.timeutil import utcnow
from tests.helpers import login


def test_a_candidate_who_has_not_chosen_the_format_reads_that_the_move_is_theirs(screen, client):
    login(client, screen.candidate)
    page = client.get(f"/applications/{screen.application.id}").get_data(as_text=True)
    assert "Your move:</strong> Choose live or take-home for your technical screen." in page
    assert "Our move:" not in page and "You will hear from us by" not in page
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Your move:</strong> Choose live or take-home for your technical screen." in dashboard
    assert "You will hear from us by" not in dashboard


def test_the_pipeline_does_not_flag_a_candidate_still_choosing_as_overdue(screen):
    application = db.session.get(Application, screen.application.id)
    application.stage_entered_at = utcnow() - timedelta(days=30)
    db.session.commit()
    [row] = queries.pipeline(screen.position, stage_id=None, status="active", q="", overdue=False, page=1).rows
    assert row.due is None and not row.late
    assert queries.pipeline(screen.position, stage_id=None, status="active", q="", overdue=True, page=1).rows == []


def test_choosing_the_live_screen_asks_for_a_booking_and_booking_hands_the_move_to_the_team(screen, client):
    login(client, screen.candidate)
    base = f"/applications/{screen.application.id}"
    client.post(f"{base}/technical", data={"technical_format": "live"})
    assert "Your move:</strong> Choose a time for your live technical screen." in client.get(base).get_data(
        as_text=True
    )
    from portal.scheduling import services as scheduling
    from portal.templating import iso

    start = scheduling.offer(db.session.get(Application, screen.application.id)).starts[0]
    client.post(f"{base}/book", data={"start": iso(start)})
    page = client.get(base).get_data(as_text=True)
    assert "Your move:" not in page and "You will hear from us by" in page
