"""Candidate-facing feedback: composed by the position's recruiter or hiring manager beside the
interviewers' suggestions, previewed as the candidate will see it, published once with a timeline
event, an audit entry and a mail; a rejection's feedback reads the same way."""

from __future__ import annotations

from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.feedback.outcome_models import StageFeedback
from portal.hiring import process
from portal.hiring import services as hiring
from portal.notifications.models import OutboxMessage
from tests.feedback.helpers import submit
from tests.helpers import login, outbox


def _client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def _url(application, stage_key):
    stage = application.position.process.stage_by_key(stage_key)
    return f"/staff/applications/{application.id}/feedback/{stage.id}"


def _feedback(application):
    db.session.expire_all()
    return list(db.session.scalars(select(StageFeedback).where(StageFeedback.application_id == application.id)))


def test_the_recruiter_sees_the_suggestions_beside_the_editor_once_scorecards_are_in(app, team, round_one):
    engineer = team.engineers[0]
    submit(_client(app, engineer), round_one.of(engineer), strengths="Clear structure.", growth="Test edge cases.")
    page = _client(app, team.recruiter).get(_url(round_one.application, "onsite_1")).get_data(as_text=True)
    assert "Clear structure." in page and "Test edge cases." in page and engineer.name in page
    # Another stage's interviews suggest nothing for this one.
    other = _client(app, team.recruiter).get(_url(round_one.application, "recruiter_screen")).get_data(as_text=True)
    assert "Clear structure." not in other


def test_the_preview_renders_the_markdown_as_the_candidate_will_and_writes_nothing(app, team, round_one):
    client = _client(app, team.recruiter)
    body = "**Strong** system design.\n\n<script>alert(1)</script>"
    response = client.post(_url(round_one.application, "onsite_1"), data={"body": body, "action": "preview"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>Strong</strong> system design." in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert 'class="published-feedback"' in page
    assert _feedback(round_one.application) == [] and not outbox("feedback_published")


def test_a_draft_is_kept_and_stays_hidden_from_the_candidate(app, team, round_one):
    client = _client(app, team.recruiter)
    response = client.post(_url(round_one.application, "onsite_1"), data={"body": "DRAFT-WORDS", "action": "save"})
    assert response.status_code == 302
    [draft] = _feedback(round_one.application)
    assert draft.status == "draft" and draft.body == "DRAFT-WORDS"
    assert "DRAFT-WORDS" in client.get(_url(round_one.application, "onsite_1")).get_data(as_text=True)
    candidate = _client(app, round_one.application.candidate)
    assert "DRAFT-WORDS" not in candidate.get(f"/applications/{round_one.application.id}").get_data(as_text=True)
    assert not outbox("feedback_published")


def test_the_mail_keeps_the_line_breaks_and_code_of_the_feedback_as_the_page_shows_them(app, team, round_one):
    application = round_one.application
    client = _client(app, team.manager)
    body = "Line one  \nline two\n\n```\nfor x in xs:\n\n    print(x)\n```\n\nLast words."
    assert client.post(_url(application, "onsite_1"), data={"body": body, "action": "publish"}).status_code == 302
    [mail] = outbox("feedback_published")
    # A break typed as two spaces is one break, not a blank line; code keeps its lines as typed.
    assert "Line one<br>line two" in mail.body_html and "<br><br>line two" not in mail.body_html
    assert "<pre><code>for x in xs:&#10;&#10;    print(x)&#10;</code></pre>" in mail.body_html
    page = _client(app, application.candidate).get(f"/applications/{application.id}").get_data(as_text=True)
    assert "for x in xs:\n\n    print(x)" in page


def test_publishing_shows_it_to_the_candidate_records_the_event_and_mails_them(app, team, round_one):
    application = round_one.application
    client = _client(app, team.manager)
    body = (
        "**Strengths:** you explained trade-offs well.\n\n"
        "Visit https://evil.example or [our guide](https://evil.example/guide) for more. <script>x()</script>"
    )
    assert client.post(_url(application, "onsite_1"), data={"body": body, "action": "publish"}).status_code == 302
    [published] = _feedback(application)
    assert published.status == "published" and published.published_at is not None
    page = _client(app, application.candidate).get(f"/applications/{application.id}").get_data(as_text=True)
    assert "you explained trade-offs well." in page and "Feedback published for On-site, round 1" in page
    [mail] = outbox("feedback_published")
    assert mail.to_addr == application.candidate.email and "**Strengths:** you explained" in mail.body_text
    # The HTML part reads as the page does (the Markdown rendered and sanitised), and staff text in mail
    # never becomes a link, typed as a URL or as a Markdown link.
    assert "<strong>Strengths:</strong> you explained" in mail.body_html and "**" not in mail.body_html
    assert 'href="https://evil.example' not in mail.body_html and "<script" not in mail.body_html
    assert "our guide" in mail.body_html
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "feedback.published"))
    # Published is final.
    again = client.post(_url(application, "onsite_1"), data={"body": "Changed.", "action": "publish"})
    assert again.status_code == 409 and "Changed." not in _feedback(application)[0].body
    assert len(outbox("feedback_published")) == 1


def test_bad_input_is_answered_next_to_the_field_keeps_the_text_and_writes_nothing(app, team, round_one):
    client = _client(app, team.recruiter)
    url = _url(round_one.application, "onsite_1")
    empty = client.post(url, data={"body": "   ", "action": "publish"})
    assert empty.status_code == 400 and "Write the feedback the candidate will read." in empty.get_data(as_text=True)
    hidden = client.post(url, data={"body": "Kept words \u202e reversed", "action": "publish"})
    page = hidden.get_data(as_text=True)
    assert hidden.status_code == 400 and "direction-changing" in page and "Kept words" in page
    too_long = client.post(url, data={"body": "x" * 10_001, "action": "save"})
    assert too_long.status_code == 400
    assert _feedback(round_one.application) == [] and not outbox("feedback_published")


def test_only_whoever_runs_the_position_composes_feedback(app, team, round_one):
    url = _url(round_one.application, "onsite_1")
    assert _client(app, team.engineers[0]).get(url).status_code == 403
    assert _client(app, team.hr).post(url, data={"body": "x", "action": "publish"}).status_code == 403
    # A stage the application has not reached takes no feedback.
    assert _client(app, team.recruiter).get(_url(round_one.application, "onsite_2")).status_code == 404


def test_a_rejections_feedback_is_published_as_the_outcomes_and_shown_once(app, team, round_one):
    application = round_one.application
    hiring.move(application.id, process.Action.REJECT, team.recruiter, feedback="Keep practising *design*.")
    [outcome] = _feedback(application)
    assert outcome.is_published and outcome.stage.is_outcome
    page = _client(app, application.candidate).get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Keep practising <em>design</em>." in page
    assert page.count("Keep practising") == 1
    mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "application_reject")).all()
    assert len(mails) == 1


def test_the_candidates_page_reads_its_feedback_in_a_constant_number_of_queries(app, team, round_one):
    from tests.helpers import queries_for

    application = round_one.application
    candidate = _client(app, application.candidate)
    url = f"/applications/{application.id}"
    publishing_client = _client(app, team.recruiter)
    publishing_client.post(_url(application, "recruiter_screen"), data={"body": "One.", "action": "publish"})
    queries_for(candidate, url)
    one = queries_for(candidate, url)
    for key in ("technical_screen", "onsite_1"):
        publishing_client.post(_url(application, key), data={"body": f"For {key}.", "action": "publish"})
    assert queries_for(candidate, url) == one
