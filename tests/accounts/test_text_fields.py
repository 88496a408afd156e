"""One-line fields everywhere (names, titles) hold nothing invisible or direction-changing.

The rule lives in the shared form base (portal/forms.py); these go through a few real forms.
"""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.hiring.models import Position
from tests.helpers import field_error, login, reloaded

HIDDEN = [
    "Backend\u200bEngineer",
    "\u202eBackend",
    "Backend \u2066Engineer\u2069",
    "Backend\u2028Engineer",
    "Backend\x85Engineer",
    "\ufeffBackend",
    "\u3164",
]


@pytest.mark.parametrize("name", HIDDEN)
def test_a_profile_name_with_hidden_characters_is_refused_and_kept_as_it_was(client, factory, name):
    candidate = factory.candidate("ada@example.com", name="Ada Lovelace")
    login(client, candidate)
    response = client.post("/auth/profile", data={"name": name, "timezone": "UTC"})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "name")
    assert reloaded(candidate).name == "Ada Lovelace"


@pytest.mark.parametrize("title", HIDDEN)
def test_a_position_title_with_hidden_characters_is_refused(client, factory, title):
    recruiter = factory.staff("recruiter", email="rita@example.com")
    login(client, recruiter)
    response = client.post(
        "/staff/positions/new",
        data={
            "title": title,
            "team": "Platform",
            "status": "open",
            "reapply_cooldown_months": "6",
            "sla_days": "5",
            "recruiter_id": str(recruiter.id),
        },
    )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "title")
    assert db.session.query(Position).count() == 0


def test_a_staff_name_with_a_direction_override_is_refused(client, factory):
    login(client, factory.staff("admin", email="alex@example.com"))
    response = client.post(
        "/admin/staff/new", data={"name": "Hana \u202eevil", "email": "hana@example.com", "roles": ["hr"]}
    )
    assert response.status_code == 422
    assert "direction-changing" in field_error(response.get_data(as_text=True), "name")
