"""Whatever interviewers write in a scorecard (ratings, the Keeper Test, the recommendation, private
notes, the suggested feedback, an amendment's reason) or a vote reaches no page, mail or file a
candidate gets."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.hiring import process
from portal.hiring import services as hiring
from portal.notifications.models import OutboxMessage
from portal.security import policy
from tests.feedback.helpers import complete_form, submit
from tests.helpers import login

MARKERS = {
    "notes": "PRIVATE-NOTE-ZX81",
    "strengths": "SUGGESTED-STRENGTH-ZX81",
    "growth": "SUGGESTED-GROWTH-ZX81",
    "reason": "AMENDMENT-REASON-ZX81",
    "vote": "VOTE-REASON-ZX81",
}
# Words only a scorecard puts on a page.
SCORECARD_WORDS = (
    "Keeper Test",
    "Strong yes",
    "Strong no",
    "Scorecard",
    "scorecard",
    "Strong concerns",
    "Outstanding",
    "No hire",
    "Dissent",
)


def _candidate_pages(app, application) -> list[str]:
    """Every GET route a candidate may open, with the candidate's own application and position."""
    values = {"application_id": application.id, "position_id": application.position_id}
    paths = []
    for rule in app.url_map.iter_rules():
        declared = getattr(app.view_functions.get(rule.endpoint), "access_policy", None)
        if declared is None or declared.kind not in (policy.CANDIDATE, policy.SIGNED_IN, policy.PUBLIC):
            continue
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        if set(rule.arguments) - set(values):
            continue  # tokens, files and bookings that are not the candidate's own: nothing to render
        paths.append(rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1])
    return paths


def _assert_clean(text: str, where: str) -> None:
    for marker in MARKERS.values():
        assert marker not in text, f"{marker} reached {where}"
    for word in SCORECARD_WORDS:
        assert word not in text, f"{word!r} reached {where}"


def test_no_scorecard_content_reaches_any_candidate_page_or_mail(app, team, round_one):
    application = round_one.application
    for person in [*team.engineers[:4], team.hr]:
        client = app.test_client()
        login(client, person)
        submit(
            client,
            round_one.of(person),
            notes=MARKERS["notes"],
            strengths=MARKERS["strengths"],
            growth=MARKERS["growth"],
            recommendation="strong_yes",
        )
    amender = app.test_client()
    login(amender, team.engineers[0])
    interview = round_one.of(team.engineers[0])
    amended = complete_form(interview, notes=MARKERS["notes"], action="amend", reason=MARKERS["reason"])
    assert amender.post(f"/staff/interviews/{interview.id}/scorecard", data=amended).status_code == 302

    candidate = app.test_client()
    login(candidate, application.candidate)
    pages = _candidate_pages(app, application)
    assert f"/applications/{application.id}" in pages and "/dashboard" in pages
    for path in pages:
        response = candidate.get(path, follow_redirects=True)
        assert response.status_code < 500, path
        _assert_clean(response.get_data(as_text=True), path)
    # The decision, a dissent, and the outcome: still nothing of the scorecards or votes, in pages or mail.
    from portal.feedback import decision

    for _ in range(2):
        hiring.move(application.id, process.Action.ADVANCE, team.recruiter)
    for person in [*team.engineers[:4], team.hr]:
        choice = "no_hire" if person is team.hr else "hire"
        decision.vote(application.id, person, choice, MARKERS["vote"])
    for path in pages:
        _assert_clean(candidate.get(path, follow_redirects=True).get_data(as_text=True), path)
    decision.record(application.id, team.manager, "Thank you for your time.")
    for path in pages:
        _assert_clean(candidate.get(path, follow_redirects=True).get_data(as_text=True), path)
    mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_addr == application.candidate.email))
    mails = list(mails)
    assert mails
    for message in mails:
        _assert_clean(f"{message.subject}\n{message.body_text}\n{message.body_html}", f"the mail {message.kind}")


def test_feedback_an_offer_and_its_answer_carry_nothing_of_the_scorecards_or_votes(app, team, round_one):
    """A unanimous hire with markers in every scorecard and vote; the recruiter publishes stage feedback
    and the offer from the suggestions page, and the candidate answers: pages and mail stay clean."""
    from datetime import timedelta

    from portal.feedback import decision
    from portal.timeutil import utcnow

    application = round_one.application
    for person in [*team.engineers[:4], team.hr]:
        client = app.test_client()
        login(client, person)
        submit(client, round_one.of(person), notes=MARKERS["notes"], strengths=MARKERS["strengths"])
    recruiter = app.test_client()
    login(recruiter, team.recruiter)
    onsite = application.position.process.stage_by_key("onsite_1")
    compose = recruiter.get(f"/staff/applications/{application.id}/feedback/{onsite.id}").get_data(as_text=True)
    assert MARKERS["strengths"] in compose  # the suggestions are the staff's to read ...
    published = recruiter.post(
        f"/staff/applications/{application.id}/feedback/{onsite.id}",
        data={"body": "You reasoned clearly about trade-offs.", "action": "publish"},
    )
    assert published.status_code == 302  # ... and only what staff write for the candidate is published
    for _ in range(2):
        hiring.move(application.id, process.Action.ADVANCE, team.recruiter)
    for person in [*team.engineers[:4], team.hr]:
        decision.vote(application.id, person, "hire", MARKERS["vote"])
    decision.record(application.id, team.manager)
    offer = recruiter.post(
        f"/staff/applications/{application.id}/offer",
        data={
            "role_title": "Engineer",
            "start_date": (utcnow().date() + timedelta(days=20)).isoformat(),
            "feedback": "The team was impressed.",
            "action": "publish",
        },
    )
    assert offer.status_code == 302
    candidate = app.test_client()
    login(candidate, application.candidate)
    pages = _candidate_pages(app, application)
    for path in pages:
        _assert_clean(candidate.get(path, follow_redirects=True).get_data(as_text=True), path)
    assert candidate.post(f"/applications/{application.id}/offer", data={"answer": "accept"}).status_code == 302
    for path in pages:
        _assert_clean(candidate.get(path, follow_redirects=True).get_data(as_text=True), path)
    mails = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_addr == application.candidate.email)))
    assert {"feedback_published", "offer_made"} <= {m.kind for m in mails}
    for message in mails:
        _assert_clean(f"{message.subject}\n{message.body_text}\n{message.body_html}", f"the mail {message.kind}")
