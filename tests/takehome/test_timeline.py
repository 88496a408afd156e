"""The technical screen's steps reach the candidate's timeline: the format chosen (or set by staff,
whose reason stays in the audit log), the take-home started with its deadline in the candidate's
zone, and every version handed in."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.takehome.models import Attempt
from tests.helpers import login, timeline_of


def _timeline(client, screen) -> list[str]:
    return timeline_of(client.get(f"/applications/{screen.application.id}").get_data(as_text=True))


def test_choosing_starting_and_handing_in_a_take_home_each_reach_the_candidates_timeline(screen, client):
    base = f"/applications/{screen.application.id}"
    login(client, screen.candidate)
    client.post(f"{base}/technical", data={"technical_format": "take_home"})
    assert _timeline(client, screen)[0] == "Technical screen: chose the take-home"

    client.post(f"{base}/takehome/start", data={})
    attempt = db.session.scalars(select(Attempt)).one()
    deadline = attempt.deadline.astimezone(screen.candidate_zone)
    assert _timeline(client, screen)[0] == f"Take-home started, deadline: {deadline:%a %d %b %Y, %H:%M} (Asia/Tokyo)"

    for name in ("NOTES.md", "NOTES-2.md"):
        response = client.post(f"{base}/takehome/submissions", data={"files": [(io.BytesIO(b"# Notes\n"), name)]})
        assert response.status_code == 302
    assert _timeline(client, screen)[:4] == [
        "Take-home handed in (version 2)",
        "Take-home handed in (version 1)",
        f"Take-home started, deadline: {deadline:%a %d %b %Y, %H:%M} (Asia/Tokyo)",
        "Technical screen: chose the take-home",
    ]


def test_a_late_hand_in_the_assignment_accepts_reads_as_late(screen, client):
    screen.assignment.late_submissions_allowed = True
    db.session.commit()
    base = f"/applications/{screen.application.id}"
    login(client, screen.candidate)
    client.post(f"{base}/technical", data={"technical_format": "take_home"})
    client.post(f"{base}/takehome/start", data={})
    attempt = db.session.scalars(select(Attempt)).one()
    attempt.started_at -= timedelta(hours=5)
    attempt.deadline = attempt.started_at + timedelta(hours=4)
    db.session.commit()
    response = client.post(f"{base}/takehome/submissions", data={"files": [(io.BytesIO(b"# Notes\n"), "NOTES.md")]})
    assert response.status_code == 302
    assert _timeline(client, screen)[0] == "Take-home handed in after the deadline (version 1)"


def test_a_refused_hand_in_adds_nothing_to_the_timeline(screen, client):
    base = f"/applications/{screen.application.id}"
    login(client, screen.candidate)
    client.post(f"{base}/technical", data={"technical_format": "take_home"})
    client.post(f"{base}/takehome/start", data={})
    before = _timeline(client, screen)
    response = client.post(f"{base}/takehome/submissions", data={"files": [(io.BytesIO(b"MZ\x90\x00"), "tool.exe")]})
    assert response.status_code == 400
    assert _timeline(client, screen) == before


def test_staff_setting_the_format_reaches_the_timeline_without_their_reason(screen, client, app):
    recruiter = app.test_client()
    login(recruiter, screen.recruiter)
    reason = "Asked by phone: no camera."
    response = recruiter.post(
        f"/staff/applications/{screen.application.id}/technical-format",
        data={"technical_format": "live", "reason": reason},
    )
    assert response.status_code == 302
    login(client, screen.candidate)
    page = client.get(f"/applications/{screen.application.id}").get_data(as_text=True)
    assert timeline_of(page)[0] == "Technical screen: the hiring team set it to the live technical screen"
    assert reason not in page
    staff_page = recruiter.get(f"/staff/applications/{screen.application.id}").get_data(as_text=True)
    assert timeline_of(staff_page)[0] == (
        "Technical screen: the hiring team set it to the live technical screen by Rita Recruiter"
    )
