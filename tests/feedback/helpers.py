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
