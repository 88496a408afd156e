"""Mail is rendered for its recipient: times in the recipient's zone (not the zone of the staff member
whose click queued it), staff-written text escaped, and only the portal's own links as anchors."""

from __future__ import annotations

from datetime import datetime, timezone
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from flask_login import login_user

from portal.extensions import db
from portal.hiring.models import Application
from portal.notifications.worker import deliver_once
from portal.templating import local_date, local_datetime, rendering_for
from tests.helpers import PASSWORD, login, outbox

TOKYO, LOS_ANGELES = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles")
FORMAT = "%A %d %B %Y, %H:%M"


class _Anchors(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href"))


def _parsed(html: str) -> _Anchors:
    parser = _Anchors()
    parser.feed(html)
    return parser


def _in_zone(user, zone: str):
    user.timezone = zone
    db.session.commit()
    return user


def _pipeline(factory):
    """A recruiter in Los Angeles and an application of a candidate in Tokyo, on the recruiter's position."""
    recruiter = _in_zone(factory.staff("recruiter", email="rita@example.com"), "America/Los_Angeles")
    candidate = _in_zone(factory.candidate(email="kenji@example.com", name="Kenji"), "Asia/Tokyo")
    # At the second on-site round: moving on to the decision is the team's move, with a promised date.
    application = factory.application(candidate, factory.position(recruiter), actor=recruiter, advances=4)
    return recruiter, candidate, application


def _received_to(smtp, address: str, subject_start: str):
    deliver_once()
    found = [m for m in smtp.received() if m["To"] == address and m["Subject"].startswith(subject_start)]
    assert found, subject_start
    return found[-1]  # the latest of its kind


def test_a_recruiter_in_los_angeles_moving_a_candidate_in_tokyo_sends_the_times_in_tokyo(app, factory, client, smtp):
    recruiter, candidate, application = _pipeline(factory)
    login(client, recruiter, PASSWORD)

    response = client.post(f"/staff/applications/{application.id}/advance", data={"stage_id": application.stage_id})

    assert response.status_code == 302
    moved = db.session.get(Application, application.id)
    due = moved.sla_due_at()
    in_tokyo = due.astimezone(TOKYO).strftime(FORMAT) + " (Asia/Tokyo)"
    in_los_angeles = due.astimezone(LOS_ANGELES).strftime(FORMAT)
    assert in_tokyo[: -len(" (Asia/Tokyo)")] != in_los_angeles, "the zones never show the same hour"
    queued = outbox("application_advance")[-1]
    received = _received_to(smtp, candidate.email, "Next step")
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    assert f"\n\nYou will hear from us by {in_tokyo}.\n\n" in queued.body_text, "a paragraph of its own"
    assert f"<p>You will hear from us by {in_tokyo}.</p>" in html
    for body in (queued.body_text, text, html):
        assert in_los_angeles not in body and "Los_Angeles" not in body

    # The recruiter's own pages still speak Los Angeles time, in the same and in later requests.
    page = client.get(f"/staff/applications/{application.id}").get_data(as_text=True)
    assert "(America/Los_Angeles)" in page and "(Asia/Tokyo)" not in page


def test_a_mail_for_an_address_without_an_account_shows_utc_not_the_senders_zone(app, factory):
    recruiter = _in_zone(factory.staff("recruiter"), "America/Los_Angeles")
    candidate = _in_zone(factory.candidate(), "Asia/Tokyo")
    moment = datetime(2026, 12, 7, 20, 30, tzinfo=timezone.utc)  # Monday in LA, Tuesday in Tokyo

    with app.test_request_context():
        login_user(recruiter)
        assert local_datetime(moment) == "Mon 07 Dec 2026, 12:30 (America/Los_Angeles)", "a page: the viewer's zone"
        with rendering_for(candidate):
            assert local_datetime(moment) == "Tue 08 Dec 2026, 05:30 (Asia/Tokyo)"
            assert local_date(moment) == "Tuesday 08 December 2026"
        with rendering_for(None):
            assert local_datetime(moment) == "Mon 07 Dec 2026, 20:30 (UTC)"
            assert local_date(moment) == "Monday 07 December 2026"
        assert local_date(moment) == "Monday 07 December 2026", "back to the viewer once the mail is rendered"


HOSTILE_FEEDBACK = (
    "<script>alert('owned')</script> <b>bold</b> <a href=\"https://evil.example/a\">your results</a>\n\n"
    "https://evil.example/phish?next=login\n\n"
    "javascript:alert(document.cookie)\n\n"
    "Thanks for your time & effort."
)


def test_staff_feedback_in_a_rejection_mail_is_escaped_text_and_never_a_link(app, factory, client, smtp):
    recruiter, candidate, application = _pipeline(factory)
    login(client, recruiter, PASSWORD)

    response = client.post(
        f"/staff/applications/{application.id}/reject",
        data={"stage_id": application.stage_id, "feedback": HOSTILE_FEEDBACK},
    )

    assert response.status_code == 302
    received = _received_to(smtp, candidate.email, "Your application")
    html = received.get_body(preferencelist=("html",)).get_content()
    text = received.get_body(preferencelist=("plain",)).get_content()
    portal_link = f"http://127.0.0.1:5000/applications/{application.id}"
    parsed = _parsed(html)
    assert parsed.hrefs == [portal_link], "only the portal's own link is an anchor"
    assert not parsed.tags & {"script", "b"}
    # Rendered as the candidate's page renders feedback (Markdown, no raw HTML): tags show as text.
    assert "&lt;script&gt;alert('owned')&lt;/script&gt;" in html
    assert '&lt;a href="https://evil.example/a"&gt;your results&lt;/a&gt;' in html
    assert "<br><br>https://evil.example/phish?next=login<br><br>" in html
    assert "javascript:alert(document.cookie)<br><br>" in html
    assert "Thanks for your time &amp; effort." in html
    # The text part carries the feedback exactly as written.
    assert HOSTILE_FEEDBACK.replace("\n", "\r\n") in text


def test_the_portals_own_links_are_anchors_in_the_html_part(app, factory, smtp):
    user = factory.candidate(verified=False)
    [queued] = outbox("verify_email")

    received = _received_to(smtp, user.email, "Confirm")

    html = received.get_body(preferencelist=("html",)).get_content()
    [href] = _parsed(html).hrefs
    assert href.startswith("http://127.0.0.1:5000/auth/verify/") and href in queued.body_text


def test_a_candidate_name_with_markup_is_escaped_in_the_html_part(app, factory, smtp):
    # A confirmed candidate's name is used in mail about their application (mail before confirmation
    # names nobody).
    user = factory.candidate(name="<img src=x onerror=alert(1)> Eve")
    factory.application(user)

    received = _received_to(smtp, user.email, "We received")

    html = received.get_body(preferencelist=("html",)).get_content()
    assert "img" not in _parsed(html).tags
    assert "Hello &lt;img src=x onerror=alert(1)&gt; Eve," in html
