"""Demo scorecards over the demo's held first rounds: Noor's all submitted (one amended), Olu's
partly submitted, with a draft and a missing one past the 24 hours."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.accounts.models import User
from portal.extensions import db
from portal.feedback import catalogue, services
from portal.feedback.models import Scorecard
from portal.hiring.models import Application
from portal.scheduling.models import Interview, InterviewStatus

# What each engineer thought, by interview kind: (ratings 1-4 in order, keeper test, recommendation).
OPINIONS = {
    "coding": (3, "yes", "yes"),
    "whiteboarding": (4, "yes", "strong_yes"),
    "data_structures": (2, "no", "no"),
    "system_design": (3, "yes", "yes"),
    "hr_behavioural": (4, "yes", "strong_yes"),
}


def _interviews_of(email: str) -> list[Interview]:
    application = db.session.scalars(
        select(Application).join(User, Application.candidate_id == User.id).where(User.email == email)
    ).one()
    return list(
        db.session.scalars(
            select(Interview)
            .where(Interview.application_id == application.id, Interview.status == InterviewStatus.COMPLETED.value)
            .order_by(Interview.starts_at)
        )
    )


def _input(interview: Interview, *, complete: bool = True) -> services.ScorecardInput:
    rating, keeper, recommendation = OPINIONS.get(interview.kind_key, (3, "yes", "yes"))
    competencies = services.competencies_for(interview.kind_key)
    name = interview.application.candidate.name.split()[0]
    return services.ScorecardInput(
        ratings={c.id: (rating if i % 2 == 0 else min(4, rating + 1)) for i, c in enumerate(competencies)}
        if complete
        else {c.id: rating for c in competencies[:2]},
        keeper_test=keeper if complete else None,
        recommendation=recommendation if complete else None,
        private_notes=f"{name} reasoned out loud and took hints well; the second half was rushed.",
        strengths="You structured the problem clearly and explained your trade-offs.",
        growth_areas="Test the edge cases before you call the solution done.",
    )


def _dated(scorecard: Scorecard, interview: Interview, hours: float) -> None:
    """As if written `hours` after the interview ended (the demo's history lies in the past)."""
    scorecard.submitted_at = interview.ends_at + timedelta(hours=hours) if scorecard.submitted_at else None
    scorecard.created_at = scorecard.updated_at = interview.ends_at + timedelta(hours=hours)


def seed() -> None:
    """Inside the demo's transaction, after its held rounds."""
    catalogue.ensure_defaults()
    for hours, interview in enumerate(_interviews_of("onsite2@example.com"), start=2):
        scorecard = services.save(interview.id, interview.interviewer, _input(interview), submit=True)
        _dated(scorecard, interview, hours)
        if interview.interviewer.email == "interviewer@example.com":
            # Amended the next day: the earlier version stays, with the reason, for the recruiter.
            changed = _input(interview)
            changed.recommendation = "strong_yes"
            changed.private_notes += " On reflection the tests she wrote covered every edge case I raised."
            services.amend(
                interview.id, interview.interviewer, changed, "I had overlooked the tests she wrote at the end."
            )
            version = scorecard.versions[-1]
            version.submitted_at = scorecard.submitted_at
            version.replaced_at = scorecard.submitted_at = interview.ends_at + timedelta(hours=26)
    for interview in _interviews_of("onsite1@example.com"):
        email = interview.interviewer.email
        if email == "interviewer@example.com":
            continue  # not started, and past the 24 hours: flagged
        if email == "kim@example.com":
            scorecard = services.save(
                interview.id, interview.interviewer, _input(interview, complete=False), submit=False
            )
        else:
            scorecard = services.save(interview.id, interview.interviewer, _input(interview), submit=True)
        _dated(scorecard, interview, 3)
    db.session.flush()


def _all_submitted(application) -> list[Interview]:
    interviews = list(
        db.session.scalars(
            select(Interview).where(
                Interview.application_id == application.id, Interview.status == InterviewStatus.COMPLETED.value
            )
        )
    )
    for interview in interviews:
        scorecard = services.save(interview.id, interview.interviewer, _input(interview), submit=True)
        _dated(scorecard, interview, 3)
    return interviews


def decision_with_a_dissent(application) -> None:
    """Dana's decision is open: every scorecard in, four votes for hire and one against."""
    from portal.feedback import decision

    for interview in _all_submitted(application):
        dissent = interview.kind_key == "data_structures"
        decision.vote(
            application.id,
            interview.interviewer,
            "no_hire" if dissent else "hire",
            "Struggled to reason about cost at scale." if dissent else "Strong across the board.",
        )


def unanimous_votes(application) -> None:
    """Every scorecard in and every interviewer for hire: the decision waits for the hiring manager."""
    from portal.feedback import decision

    for interview in _all_submitted(application):
        decision.vote(application.id, interview.interviewer, "hire", "Would raise the bar of the team.")


def unanimous_hire(application, manager) -> None:
    """Hana was hired: every interviewer voted hire, and the hiring manager recorded it."""
    from portal.feedback import decision

    unanimous_votes(application)
    decision.record(application.id, manager)


# Candidates' ratings of the backend position's stages: six for the recruiter screen (enough to show),
# three for the technical screen (hidden until five answer).
STAGE_RATINGS = {
    "recruiter_screen": [
        ("candidate@example.com", 5, "Clear about the whole process from the first call."),
        ("onsite1@example.com", 4, "Friendly, and I knew what came next."),
        ("onsite2@example.com", 4, ""),
        ("hired@example.com", 5, "Felt like a conversation, not an interrogation."),
        ("rejected@example.com", 3, "A little rushed at the end."),
        ("takehome@example.com", 4, ""),
    ],
    "technical_screen": [
        ("onsite1@example.com", 4, "I liked choosing the take-home."),
        ("onsite2@example.com", 5, ""),
        ("hired@example.com", 4, ""),
    ],
}


def outcomes(recruiter) -> None:
    """Published feedback for Noor's first round and a draft for her screen; Hana's offer to answer
    (with the team's feedback); Remy's rejection already carries its published feedback; and the
    candidates' ratings of the backend position's stages."""
    from portal.feedback import offers, publishing, stage_ratings
    from portal.timeutil import utcnow

    noor = _application_of("onsite2@example.com")
    process = noor.position.process
    publishing.publish(
        noor.id,
        process.stage_by_key("onsite_1").id,
        recruiter,
        "Thank you for a strong first round.\n\n**Strengths:** you structured problems clearly and explained "
        "your trade-offs.\n\n**To grow:** test the edge cases before you call a solution done.",
    )
    publishing.save_draft(
        noor.id, process.stage_by_key("recruiter_screen").id, recruiter, "Great conversation about your motivation."
    )
    hana = _application_of("hired@example.com")
    offers.make(
        hana.id,
        recruiter,
        role_title=hana.position.title,
        start_date=utcnow().date() + timedelta(days=45),
        note="Your recruiter will call you to go through the package.",
        feedback="The whole team voted to hire you.\n\n**What stood out:** calm, structured problem solving and "
        "candour in the culture interview.\n\n**To grow in your first months:** system design at our scale.",
    )
    for stage_key, answers in STAGE_RATINGS.items():
        for email, rating, comment in answers:
            application = _application_of(email)
            stage = application.position.process.stage_by_key(stage_key)
            stage_ratings.rate(application.id, application.candidate, stage.id, rating, comment)


def _application_of(email: str) -> Application:
    return db.session.scalars(
        select(Application)
        .join(User, Application.candidate_id == User.id)
        .where(User.email == email)
        .order_by(Application.id)
        .limit(1)
    ).one()
