"""Every mail keeps its lines: a template tag at the end of a line must not swallow the line break
(the subject would take in the greeting, and sentences would run together)."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.notifications.models import OutboxMessage


def test_no_mail_of_the_demo_runs_its_subject_or_lines_together(app):
    from portal.scheduling import services as scheduling
    from portal.scheduling.models import Interview

    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    # Move and cancel one of the demo's bookings, as its recruiter, for those mails too.
    booked = db.session.scalars(select(Interview).where(Interview.status == "booked").order_by(Interview.id)).first()
    application = booked.application
    start = scheduling.offer(application, exclude_group=booked.group_id).starts[-1]
    scheduling.reschedule(booked.group_id, start, application.position.recruiter, "The recruiter travels")
    scheduling.cancel(booked.group_id, application.position.recruiter, "The role is on hold")
    messages = db.session.scalars(select(OutboxMessage)).all()
    kinds = {m.kind for m in messages}
    assert {"interview_booked", "interview_moved", "interview_cancelled"} <= kinds, kinds
    for message in messages:
        assert "Hello" not in message.subject and "\n" not in message.subject, (message.kind, message.subject)
        first = message.body_text.lstrip().splitlines()[0]
        assert first.startswith(("Hello", "You are invited", "Someone")), (message.kind, first)
        # A sentence ending and the next one starting without a space is a lost line break.
        assert not re.search(r"[a-z][.:,][A-Z]", message.body_text), (message.kind, message.body_text)
