"""Every email a change promises is written to the outbox in that change's transaction.

So a committed change always has its mail waiting, and a change that fails leaves no mail
about something that did not happen.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from portal.accounts import services as accounts
from portal.accounts.models import OneTimeToken, User
from portal.errors import DomainError, TransitionNotAllowed
from portal.extensions import db
from portal.hiring import process
from portal.hiring import services as hiring
from portal.hiring.models import Application, ApplicationStatus, StageEvent
from portal.notifications.models import OutboxStatus
from tests.feedback.helpers import unanimous_team
from tests.helpers import PASSWORD, PDF, link_in, outbox


def _fail_right_after_queuing(monkeypatch, module):
    """Make `module.queue_mail` queue the mail, then fail as a later step of the change would.

    Returns the outbox rows that were visible inside the transaction at that moment.
    """
    real = module.queue_mail
    seen = []

    def queue_then_fail(*args, **kwargs):
        message = real(*args, **kwargs)
        seen.extend(outbox(message.kind))
        raise RuntimeError("the step after queuing the mail failed")

    monkeypatch.setattr(module, "queue_mail", queue_then_fail)
    return seen


# --- accounts -----------------------------------------------------------------------------


def test_signing_up_queues_the_verification_email_with_the_account(app, factory):
    user = factory.candidate(email="new@example.com", verified=False)

    [mail] = outbox("verify_email")
    assert mail.to_addr == "new@example.com" == user.email
    assert mail.subject == "Confirm your email address"
    assert mail.status == OutboxStatus.PENDING.value and mail.attempts == 0
    assert link_in(mail, "/auth/verify/")
    assert "/auth/verify/" in mail.body_html


def test_signing_up_with_an_email_already_taken_queues_no_second_mail(app, factory):
    factory.candidate(email="taken@example.com", verified=False)

    with pytest.raises(accounts.EmailTaken):
        accounts.sign_up(name="Someone Else", email="Taken@Example.com", password=PASSWORD)

    assert len(outbox("verify_email")) == 1
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_a_sign_up_that_fails_after_queuing_leaves_neither_account_nor_mail(app, monkeypatch):
    seen = _fail_right_after_queuing(monkeypatch, accounts)

    with pytest.raises(RuntimeError):
        accounts.sign_up(name="Casey", email="casey@example.com", password=PASSWORD)

    assert len(seen) == 1, "the mail was in the transaction before it failed"
    assert outbox() == []
    assert User.by_email("casey@example.com") is None


def test_requesting_a_password_reset_queues_a_reset_link(app, factory):
    user = factory.candidate()

    accounts.request_password_reset(user.email.upper())

    [mail] = outbox("reset_password")
    assert mail.to_addr == user.email
    assert link_in(mail, "/auth/reset/")


def test_a_reset_request_for_an_unknown_email_queues_nothing(app):
    accounts.request_password_reset("nobody@example.com")

    assert outbox() == []


def test_a_reset_request_that_fails_after_queuing_leaves_no_mail_and_no_usable_token(app, factory, monkeypatch):
    user = factory.candidate()
    seen = _fail_right_after_queuing(monkeypatch, accounts)

    with pytest.raises(RuntimeError):
        accounts.request_password_reset(user.email)

    assert len(seen) == 1
    assert outbox("reset_password") == []
    assert (
        db.session.scalar(
            select(func.count()).select_from(OneTimeToken).where(OneTimeToken.purpose == "reset_password")
        )
        == 0
    )


def test_inviting_a_candidate_queues_an_invitation_naming_the_position(app, factory):
    recruiter = factory.staff("recruiter", name="Rita Recruiter")
    position = factory.position(title="Data Engineer")

    invited = accounts.invite_candidate(recruiter, name="Ivy Invitee", email="ivy@example.com", position=position)

    [mail] = outbox("invite")
    assert mail.to_addr == invited.email == "ivy@example.com"
    assert mail.subject == "You are invited to apply for Data Engineer"
    assert "Rita Recruiter invited you" in mail.body_text
    assert link_in(mail, "/auth/invite/")


def test_creating_staff_without_a_password_queues_an_invitation_and_with_one_does_not(app, factory):
    factory.staff("recruiter", email="has-password@example.com")
    accounts.create_staff(email="no-password@example.com", name="Nina", roles=["interviewer"])

    [mail] = outbox("invite_staff")
    assert mail.to_addr == "no-password@example.com"
    assert link_in(mail, "/auth/invite/")


def test_changing_or_resetting_a_password_queues_a_notice(app, factory):
    user = factory.candidate()

    accounts.change_password(user, PASSWORD, "another long password")
    assert [m.to_addr for m in outbox("password_changed")] == [user.email]

    with pytest.raises(DomainError):
        accounts.change_password(user, "wrong current password", "yet another password")
    assert len(outbox("password_changed")) == 1, "a refused change sends no notice"

    accounts.request_password_reset(user.email)
    token = link_in(outbox("reset_password")[0], "/auth/reset/").rsplit("/", 1)[1]
    accounts.reset_password(token, "a third long password")
    assert len(outbox("password_changed")) == 2


# --- hiring -------------------------------------------------------------------------------


def test_applying_queues_a_confirmation_with_a_link_to_the_application(app, factory):
    candidate = factory.candidate()
    position = factory.position(title="Site Reliability Engineer")

    application = factory.application(candidate, position)

    [mail] = outbox("application_received")
    assert mail.to_addr == candidate.email
    assert mail.subject == "We received your application for Site Reliability Engineer"
    assert link_in(mail, f"/applications/{application.id}")


def test_an_application_that_fails_after_queuing_leaves_no_application_and_no_mail(app, factory, monkeypatch):
    candidate = factory.candidate()
    position = factory.position()
    seen = _fail_right_after_queuing(monkeypatch, hiring)

    with pytest.raises(RuntimeError):
        hiring.apply(
            candidate,
            position,
            cv_stream=io.BytesIO(PDF),
            cv_filename="cv.pdf",
            answers={"motivation": "Because.", "proud_of": "", "link": ""},
        )

    assert len(seen) == 1
    assert outbox("application_received") == []
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0


def test_advancing_queues_a_mail_naming_the_next_stage(app, factory):
    application = factory.application()

    hiring.move(application.id, process.Action.ADVANCE, application.position.recruiter)

    [mail] = outbox("application_advance")
    assert mail.to_addr == application.candidate.email
    assert mail.subject == "Next step for Backend Engineer: Recruiter screen"
    assert "moves on to Recruiter screen" in mail.body_text
    assert link_in(mail, f"/applications/{application.id}")


def test_rejecting_queues_the_feedback_and_the_date_to_apply_again(app, factory):
    application = factory.application(advances=1)

    hiring.move(
        application.id,
        process.Action.REJECT,
        application.position.recruiter,
        feedback="We looked for more experience with distributed systems.",
    )

    [mail] = outbox("application_reject")
    assert application.status == ApplicationStatus.REJECTED.value
    assert "We looked for more experience with distributed systems." in mail.body_text
    assert application.reapply_after.strftime("%d %B %Y") in mail.body_text.split("apply again from", 1)[1]
    assert "distributed systems" in mail.body_html


def test_a_rejection_refused_for_missing_feedback_changes_nothing_and_queues_nothing(app, factory):
    application = factory.application()

    with pytest.raises(TransitionNotAllowed):
        hiring.move(application.id, process.Action.REJECT, application.position.recruiter, feedback="  ")

    db.session.refresh(application)
    assert application.status == ApplicationStatus.ACTIVE.value
    assert outbox("application_reject") == []


def test_hiring_queues_the_offer_mail(app, factory):
    application = factory.application(advances=5)
    assert application.stage.is_decision

    hiring.move(application.id, process.Action.HIRE, unanimous_team(application))

    [mail] = outbox("application_hire")
    assert application.status == ApplicationStatus.HIRED.value
    assert mail.subject == "An offer for Backend Engineer"
    assert mail.to_addr == application.candidate.email


def test_withdrawing_queues_a_confirmation_to_the_candidate(app, factory):
    application = factory.application()

    hiring.move(application.id, process.Action.WITHDRAW, application.candidate)

    [mail] = outbox("application_withdraw")
    assert mail.to_addr == application.candidate.email
    assert mail.subject == "You withdrew your application for Backend Engineer"


def test_a_stage_change_that_fails_after_queuing_leaves_stage_timeline_and_outbox_unchanged(app, factory, monkeypatch):
    application = factory.application()
    recruiter = application.position.recruiter
    events_before = db.session.scalar(select(func.count()).select_from(StageEvent))
    seen = _fail_right_after_queuing(monkeypatch, process)

    with pytest.raises(RuntimeError):
        hiring.move(application.id, process.Action.ADVANCE, recruiter)

    assert len(seen) == 1
    db.session.refresh(application)
    assert application.stage.key == "applied"
    assert db.session.scalar(select(func.count()).select_from(StageEvent)) == events_before
    assert outbox("application_advance") == []


def test_a_long_title_and_stage_name_do_not_stop_the_stage_change_or_its_mail(app, factory):
    # The subject holds the title and the stage name; together they can pass the 200 characters
    # of its column, which PostgreSQL enforces: the change must go through all the same.
    position = factory.position(title=("Principal Engineer, " + "Distributed Systems " * 8)[:160])
    application = factory.application(position=position)
    next_stage = position.process.stage_after(application.stage)
    next_stage.name = "Recruiter screen: a video call with your recruiter and someone from the team"
    db.session.commit()

    hiring.move(application.id, process.Action.ADVANCE, application.position.recruiter)

    [mail] = outbox("application_advance")
    assert application.stage.id == next_stage.id
    assert len(mail.subject) <= 200 and mail.subject.startswith("Next step for Principal Engineer")
    assert next_stage.name in mail.body_text, "the body keeps every word"
