"""Interview scheduling: availability, the interviewer pool, booking screens and on-site loops."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the process effects of scheduling (called once by create_app)."""
    from portal.hiring import process
    from portal.scheduling import effects

    rules = app.extensions["candor.process"]
    rules.add_effect(effects.cancel_interviews_of_closed_application, *effects.CLOSING_ACTIONS)
    rules.add_effect(effects.ask_candidate_to_book, process.Action.ADVANCE)
