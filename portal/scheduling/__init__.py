"""Interview scheduling: availability, the interviewer pool, booking screens and on-site loops."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

_LINKS = "candor.interview_links"


def init_app(app) -> None:
    """Register the process effects of scheduling (called once by create_app)."""
    from portal.hiring import process
    from portal.scheduling import effects

    rules = app.extensions["candor.process"]
    rules.add_effect(effects.cancel_interviews_of_closed_application, *effects.CLOSING_ACTIONS)
    rules.add_effect(effects.cancel_interviews_of_stage_left, process.Action.ADVANCE)
    rules.add_effect(effects.ask_candidate_to_book, process.Action.ADVANCE)
    app.extensions.setdefault(_LINKS, [])


def add_interview_link(app, link: Callable) -> None:
    """Let a capability add a link to each interview on the interviewer's pages (the interview kit
    and the scorecard of the feedback capability): `link(item)` gives (label, url) or None."""
    app.extensions.setdefault(_LINKS, []).append(link)


def interview_links(item) -> list[tuple[str, str]]:
    """The links other capabilities give for one of an interviewer's interviews, in registration order."""
    found = (link(item) for link in current_app.extensions.get(_LINKS, ()))
    return [pair for pair in found if pair]
