"""The audit log page: admins read who did what; nobody else can."""

from __future__ import annotations

from portal.hiring import process
from portal.hiring import services as hiring
from tests.helpers import login


def test_admin_reads_and_filters_the_audit_log(app, client, factory):
    recruiter = factory.staff("recruiter", email="rita@staff.example")
    application = factory.application(actor=recruiter)
    hiring.move(application.id, process.Action.ADVANCE, recruiter)
    login(client, factory.staff("admin"))
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "application.advance" in page and "rita@staff.example" in page and "position.create" in page
    filtered = client.get("/admin/audit?action=application.advance").get_data(as_text=True)
    assert "1 entry found" in filtered and "position.create</code>" not in filtered
    by_person = client.get("/admin/audit?who=RITA").get_data(as_text=True)
    assert "rita@staff.example" in by_person
    assert client.get("/admin/audit?page=999999999999&who=%25").status_code == 200


def test_only_admins_see_the_audit_log(app, client, factory):
    login(client, factory.staff("recruiter", "hiring_manager", "hr", "interviewer"))
    assert client.get("/admin/audit").status_code == 403
