"""The assignment library: admins and hiring managers write briefs, limits and rubrics, attach starter
files through the storage module, and a position chooses its take-home. Bad input is refused next to
its field, with everything typed kept and nothing stored."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from sqlalchemy import func, select

from portal.extensions import db
from portal.storage.models import StoredFile
from portal.takehome import library
from portal.takehome.models import Assignment, Attempt, RubricCriterion, TechnicalScreenOffer
from tests.helpers import field_error, login
from tests.takehome.conftest import make_assignment


def _form(**overrides) -> dict:
    data = {
        "title": "Automate the release",
        "brief": "## Today\n\nA person runs twelve commands by hand. **Automate it.**",
        "allowed_types": ["zip", "text"],
        "max_file_mb": "10",
        "max_total_mb": "25",
        "max_files": "10",
        "time_limit_hours": "6",
        "start_within_days": "5",
        "criteria-0-name": "Safety",
        "criteria-0-description": "Fails loudly; can be rolled back.",
        "criteria-0-weight": "2",
        "criteria-1-name": "Readability",
        "criteria-1-weight": "1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _stored_bytes(app) -> list[Path]:
    root = Path(app.config["STORAGE_DIR"])
    return [p for p in root.rglob("*") if p.is_file()]


def test_a_hiring_manager_writes_an_assignment_with_its_rubric(app, client, factory):
    manager = factory.staff("hiring_manager")
    login(client, manager)
    response = client.post("/staff/assignments/new", data=_form())
    assert response.status_code == 302
    assignment = db.session.scalar(select(Assignment))
    assert (assignment.title, assignment.time_limit_hours, assignment.start_within_days) == (
        "Automate the release",
        6,
        5,
    )
    assert assignment.allowed_types == ["zip", "text"] and assignment.max_total_bytes == 25 * 1024 * 1024
    assert [(c.name, c.weight) for c in assignment.criteria] == [("Safety", 2), ("Readability", 1)]
    listing = client.get("/staff/assignments").get_data(as_text=True)
    assert "Automate the release" in listing and "6 h" in listing
    page = client.get(f"/staff/assignments/{assignment.id}").get_data(as_text=True)
    assert "<strong>Automate it.</strong>" in page and "<h3>Today</h3>" in page


def test_editing_replaces_the_rubric_and_running_clocks_keep_their_time(screen, app):
    client = app.test_client()
    login(client, screen.manager)
    candidate = app.test_client()
    login(candidate, screen.candidate)
    candidate.post(f"/applications/{screen.application.id}/technical", data={"technical_format": "take_home"})
    response = client.post(
        f"/staff/assignments/{screen.assignment.id}",
        data=_form(title="Diagnose the importer crash", time_limit_hours="2", **{"criteria-1-name": "Tests"}),
    )
    assert response.status_code == 302
    db.session.expire_all()
    assignment = db.session.get(Assignment, screen.assignment.id)
    assert assignment.time_limit_hours == 2 and [c.name for c in assignment.criteria] == ["Safety", "Tests"]
    assert _count(RubricCriterion) == 2
    assert db.session.scalar(select(Attempt)).time_limit_minutes == 240  # as offered


def test_every_bad_input_is_refused_next_to_its_field_keeping_what_was_typed(app, client, factory):
    login(client, factory.staff("admin"))
    cases = {
        "title": _form(title=""),
        "brief": _form(brief=""),
        "allowed_types": _form(allowed_types=None),
        "max_file_mb": _form(max_file_mb="0"),
        "max_total_mb": _form(max_file_mb="20", max_total_mb="10"),
        "max_files": _form(max_files="51"),
        "time_limit_hours": _form(time_limit_hours="lots"),
        "start_within_days": _form(start_within_days="0"),
        "criteria-0-weight": _form(**{"criteria-0-weight": "0"}),
        "criteria-1-weight": _form(**{"criteria-1-weight": ""}),
        "criteria-2-name": _form(**{"criteria-2-description": "A description without a name."}),
    }
    for field_id, data in cases.items():
        response = client.post("/staff/assignments/new", data=data)
        html = response.get_data(as_text=True)
        assert response.status_code == 400, field_id
        assert field_error(html, field_id), f"no error next to {field_id}"
        if field_id != "title":
            assert 'value="Automate the release"' in html, field_id
    no_rubric = _form(
        **{
            "criteria-0-name": "",
            "criteria-0-description": "",
            "criteria-0-weight": "",
            "criteria-1-name": "",
            "criteria-1-weight": "",
        }
    )
    response = client.post("/staff/assignments/new", data=no_rubric)
    assert response.status_code == 400 and "at least one criterion" in field_error(
        response.get_data(as_text=True), "criteria-0-name"
    )
    twice = _form(**{"criteria-1-name": "safety"})
    response = client.post("/staff/assignments/new", data=twice)
    assert response.status_code == 400 and "Another criterion" in field_error(
        response.get_data(as_text=True), "criteria-1-name"
    )
    assert _count(Assignment) == 0 and _count(RubricCriterion) == 0


def test_the_library_is_for_admins_and_hiring_managers(app, factory):
    assignment = make_assignment(factory.staff("hiring_manager"))
    for role, expected in (
        ("recruiter", 403),
        ("interviewer", 403),
        ("hr", 403),
        ("admin", 200),
        ("hiring_manager", 200),
    ):
        client = app.test_client()
        login(client, factory.staff(role))
        assert client.get("/staff/assignments").status_code == expected, role
        assert client.get(f"/staff/assignments/{assignment.id}").status_code == expected, role
    candidate = app.test_client()
    login(candidate, factory.candidate())
    assert candidate.get("/staff/assignments").status_code == 403


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_starter_files_are_stored_inspected_and_removed_through_the_storage_module(app, client, factory):
    manager = factory.staff("hiring_manager")
    assignment = make_assignment(manager)
    login(client, manager)
    url = f"/staff/assignments/{assignment.id}/files"
    response = client.post(url, data={"file": (io.BytesIO(b"#!/bin/sh\nset -eu\n"), "deploy.sh")})
    assert response.status_code == 302
    [record] = library.starter_files(assignment.id)
    assert (record.name, record.content_type, record.kind) == ("deploy.sh", "text/plain", "takehome_starter")
    download = client.get(f"/staff/assignments/{assignment.id}/files/{record.id}")
    assert download.data == b"#!/bin/sh\nset -eu\n" and download.headers["X-Content-Type-Options"] == "nosniff"
    kept = _stored_bytes(app)

    hostile = {
        "an executable named .py": (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64, "tool.py"),
        "a type not allowed": (b"MZ\x90\x00", "setup.exe"),
        "a zip escaping its folder": (_zip({"../../etc/cron.d/x": b"* * * * * id"}), "starter.zip"),
        "a nested archive": (_zip({"inner.zip": _zip({"a.txt": b"a"})}), "starter.zip"),
        "an empty file": (b"", "empty.txt"),
        "no file at all": None,
    }
    for case, upload in hostile.items():
        data = {"file": (io.BytesIO(upload[0]), upload[1])} if upload else {}
        response = client.post(url, data=data)
        assert response.status_code == 400, case
        assert field_error(response.get_data(as_text=True), "file"), case
    assert len(library.starter_files(assignment.id)) == 1 and _stored_bytes(app) == kept

    response = client.post(f"/staff/assignments/{assignment.id}/files/{record.id}/delete", data={})
    assert response.status_code == 302
    assert library.starter_files(assignment.id) == [] and _count(StoredFile) == 0
    assert not any(p.name == Path(record.storage_key).name for p in _stored_bytes(app))


def test_a_position_chooses_its_assignment_and_formats(app, client, factory):
    recruiter = factory.staff("recruiter")
    position = factory.position(recruiter)
    assignment = make_assignment(factory.staff("hiring_manager"))
    login(client, recruiter)
    url = f"/staff/positions/{position.id}/technical-screen"
    assert client.get(url).status_code == 200
    for bad, field_id in (
        ({"formats": "both", "assignment_id": "0"}, "assignment_id"),
        ({"formats": "take_home", "assignment_id": "0"}, "assignment_id"),
        ({"formats": "take_home", "assignment_id": "999"}, "assignment_id"),
        ({"formats": "sometimes", "assignment_id": str(assignment.id)}, None),
    ):
        response = client.post(url, data=bad)
        assert response.status_code == 400, bad
        html = response.get_data(as_text=True)
        assert field_error(html, field_id) if field_id else 'id="formats-error"' in html
    assert _count(TechnicalScreenOffer) == 0
    assert client.post(url, data={"formats": "take_home", "assignment_id": str(assignment.id)}).status_code == 302
    offer = db.session.get(TechnicalScreenOffer, position.id)
    assert (offer.formats, offer.assignment_id) == ("take_home", assignment.id)
    assert client.post(url, data={"formats": "live", "assignment_id": "0"}).status_code == 302
    other = app.test_client()
    login(other, factory.staff("hiring_manager", email="someone-else@staff.example"))
    assert other.get(url).status_code == 404
