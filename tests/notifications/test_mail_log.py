"""Without MAIL_URL, mail goes to the log: who it is for and what about, always; the body with its
links only in development, so a production log never holds a reset or invitation token."""

from __future__ import annotations

import logging

import pytest

from portal.accounts import services as accounts
from portal.extensions import db
from portal.notifications.models import OutboxStatus
from portal.notifications.services import Attachment, queue_mail
from portal.notifications.worker import deliver_once
from tests.helpers import link_in, outbox

from .test_attachments import INVITE


@pytest.fixture
def log_only(app, caplog):
    """The app without MAIL_URL, and the outbox log captured."""
    app.config["MAIL_URL"] = ""
    caplog.set_level(logging.INFO, logger="candor.outbox")
    return caplog


def _tokens(factory) -> list[str]:
    """Queue a password reset and an invitation; return the secret part of their links."""
    user = factory.candidate(email="reset-me@example.com")
    accounts.request_password_reset(user.email)
    accounts.invite_candidate(factory.staff("recruiter", name="Rita"), name="Ivy", email="ivy@example.com")
    paths = [link_in(outbox("reset_password")[0], "/auth/reset/"), link_in(outbox("invite")[0], "/auth/invite/")]
    return [path.rsplit("/", 1)[1] for path in paths]


def test_a_production_log_names_recipient_and_subject_but_holds_no_body_and_no_token(app, factory, log_only, smtp):
    app.config["CANDOR_ENV"] = "production"
    tokens = _tokens(factory)

    report = deliver_once()

    assert report.sent == len(outbox())
    logged = log_only.text
    assert "to reset-me@example.com, subject 'Choose a new password'" in logged
    assert "to ivy@example.com, subject 'You are invited to Candor'" in logged
    assert "the body is logged only in development" in logged
    for token in tokens:
        assert len(token) > 16 and token not in logged
    assert "/auth/reset/" not in logged and "/auth/invite/" not in logged
    assert "Open this link" not in logged
    assert smtp.received() == [], "nothing went to the SMTP server"
    assert {m.status for m in outbox()} == {OutboxStatus.SENT.value}


def test_a_development_log_shows_the_whole_mail_with_its_links(app, factory, log_only):
    assert app.config["CANDOR_ENV"] == "development"
    tokens = _tokens(factory)

    deliver_once()

    logged = log_only.text
    assert "to reset-me@example.com, subject 'Choose a new password'" in logged
    assert f"http://127.0.0.1:5000/auth/reset/{tokens[0]}" in logged
    assert f"http://127.0.0.1:5000/auth/invite/{tokens[1]}" in logged
    assert "Open this link to choose a new one" in logged


@pytest.mark.parametrize("mode", ["development", "production"])
def test_the_log_lists_attachments_by_name_and_never_their_content(app, factory, log_only, mode):
    app.config["CANDOR_ENV"] = mode
    user = factory.candidate(email="cand@example.com")
    queue_mail(user, "password_changed", user=user, attachments=[Attachment.calendar(INVITE)])
    db.session.commit()

    deliver_once()

    size = len(INVITE.encode())
    assert f"attached: invite.ics (text/calendar; method=REQUEST; charset=UTF-8, {size} bytes)" in log_only.text
    assert "BEGIN:VCALENDAR" not in log_only.text
