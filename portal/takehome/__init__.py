"""Take-home assignments: the library, the technical-screen choice, the clock, the submissions and blind grading."""

from __future__ import annotations


def init_app(app) -> None:
    """Register the take-home file types and page helpers (called once by create_app).

    Reaching the technical screen hands the move to the candidate, who chooses the format; the answer
    clock stands still until their part (booking the live screen, handing in the take-home) is done."""
    from portal.hiring.process import Action
    from portal.takehome import filetypes, grading, grading_read, read, screen

    filetypes.register()
    # The application pages of candidates and staff show the technical screen through these.
    app.jinja_env.globals.update(
        takehome_for_candidate=read.for_candidate_page,
        takehome_for_staff=read.for_staff_page,
        takehome_grading_for_staff=grading_read.for_staff_page,
    )
    # Passing or rejecting a graded take-home is audited with its grades, whatever takes the action.
    app.extensions["candor.process"].add_effect(grading.audit_outcome, Action.ADVANCE, Action.REJECT)
    app.extensions["candor.process"].add_effect(screen.ask_candidate_to_choose, Action.ADVANCE)
