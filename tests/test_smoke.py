"""The portal starts and serves its public pages."""

from tests.helpers import login


def test_positions_page_lists_open_positions_only(client, factory):
    factory.position(title="Open Role")
    factory.position(title="Draft Role", status="draft")
    page = client.get("/positions").get_data(as_text=True)
    assert "Open Role" in page
    assert "Draft Role" not in page


def test_candidate_signs_in_and_sees_dashboard(client, factory):
    candidate = factory.candidate("ada@example.com")
    login(client, candidate)
    assert "My applications" in client.get("/dashboard").get_data(as_text=True)
