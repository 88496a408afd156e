"""The catalogue of the portal's pages over the demo data, for each role.

The accessibility audit and the HTML validity check open every page here, and
scripts/screenshots.py photographs them, so a page added to the portal is added here once and
is then audited, validated and looked at.
Paths are format strings filled from demo_ids() (the ids of the demo's positions, applications
and accounts as they came out of the database) and prepare_extra_pages() (one-time links).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tests.browser.support import DEMO_PASSWORD

# A candidate who signed up but has not opened the verification link yet (not part of the demo).
UNVERIFIED_EMAIL = "unverified@example.com"
# A candidate invited by a recruiter who has not accepted yet (not part of the demo either).
INVITED_EMAIL = "invited@example.com"

# Who signs in for each role of the catalogue (None: nobody).
ROLES: dict[str, str | None] = {
    "anonymous": None,
    "candidate": "candidate@example.com",
    "unverified": UNVERIFIED_EMAIL,
    "rejected": "rejected@example.com",
    "hired": "hired@example.com",
    "onsite2": "onsite2@example.com",
    "withdrawn": "withdrawn@example.com",
    "screen": "screen@example.com",
    "ready": "ready@example.com",
    "loop": "loop@example.com",
    "takehome": "takehome@example.com",
    "working": "working@example.com",
    "handedin": "handedin@example.com",
    "graded": "graded@example.com",
    "recruiter": "recruiter@example.com",
    "manager": "manager@example.com",
    "interviewer": "interviewer@example.com",
    "hr": "hr@example.com",
    "admin": "admin@example.com",
}


@dataclass(frozen=True)
class PageSpec:
    role: str
    name: str
    path: str
    status: int = 200
    # Fields to fill ({label: value}) and the button to press after loading, e.g. to show errors.
    fill: dict[str, str] = field(default_factory=dict)
    submit: str | None = None
    # The screenshot script takes the main pages only; the audit takes every one.
    screenshot: bool = True

    @property
    def id(self) -> str:
        return f"{self.role}-{self.name}"

    def url(self, ids: dict) -> str:
        return self.path.format(**ids)


P = PageSpec
PAGES: list[PageSpec] = [
    # Anyone
    P("anonymous", "home", "/", screenshot=False),
    P("anonymous", "positions", "/positions"),
    P("anonymous", "position", "/positions/{backend}"),
    P("anonymous", "closed-position", "/positions/{closed}", screenshot=False),
    P("anonymous", "sign-in", "/auth/login"),
    P(
        "anonymous",
        "sign-in-errors",
        "/auth/login",
        status=401,
        submit="Sign in",
        fill={"Email": "nobody@example.com", "Password": "wrong password"},
        screenshot=False,
    ),
    P("anonymous", "sign-up", "/auth/signup"),
    P(
        "anonymous",
        "sign-up-errors",
        "/auth/signup",
        status=422,
        submit="Create account",
        fill={"Full name": "Ada Lovelace", "Email": "not-an-email", "Password": "short"},
    ),
    P("anonymous", "reset", "/auth/reset"),
    P(
        "anonymous",
        "reset-sent",
        "/auth/reset",
        submit="Send the link",
        fill={"Email": "nobody@example.com"},
        screenshot=False,
    ),
    P("anonymous", "link-invalid", "/auth/verify/not-a-real-token", status=400, screenshot=False),
    P("anonymous", "sign-up-sent", "/auth/signup/sent", screenshot=False),
    P("anonymous", "verify-confirm", "{verify_path}", screenshot=False),
    P("anonymous", "claim-account", "{verify_path}/claim", screenshot=False),
    P("anonymous", "not-found", "/no-such-page", status=404),
    P("anonymous", "reset-password", "{reset_path}"),
    P(
        "anonymous",
        "reset-password-errors",
        "{reset_path}",
        status=422,
        submit="Save the new password",
        fill={"New password": "short"},
        screenshot=False,
    ),
    P("anonymous", "accept-invite", "{invite_path}", screenshot=False),
    # A candidate in the middle of the process, with two applications
    P("candidate", "dashboard", "/dashboard"),
    P("candidate", "application", "/applications/{app_casey}"),
    P("candidate", "application-applied", "/applications/{app_casey_designer}", screenshot=False),
    P("candidate", "position-applied", "/positions/{backend}", screenshot=False),
    P("candidate", "apply", "/positions/{sre}/apply"),
    P(
        "candidate",
        "apply-errors",
        "/positions/{sre}/apply",
        status=422,
        submit="Send application",
        fill={"Portfolio, GitHub or LinkedIn link": "not a link"},
    ),
    P("candidate", "account", "/auth/password"),
    P("candidate", "account-errors", "/auth/password", status=422, submit="Save password", screenshot=False),
    P("candidate", "forbidden", "/staff/", status=403, screenshot=False),
    P("unverified", "verify-pending", "/auth/verify"),
    # Candidates whose applications ended
    P("rejected", "application", "/applications/{app_rejected}"),
    P("rejected", "apply-blocked", "/positions/{backend}/apply", status=409),
    P("rejected", "position-cooldown", "/positions/{backend}", screenshot=False),
    P("rejected", "dashboard", "/dashboard", screenshot=False),
    P("hired", "application", "/applications/{app_hired}"),
    P("withdrawn", "application", "/applications/{app_withdrawn}", screenshot=False),
    # Booking interviews
    P("ready", "book", "/applications/{app_ready}/book?tz=Europe/Amsterdam"),
    P("ready", "book-day", "/applications/{app_ready}/book?tz=Europe/Amsterdam&day={ready_day}"),
    P("ready", "book-confirm", "/applications/{app_ready}/book?tz=Europe/Amsterdam&start={ready_start}"),
    P("loop", "book-loop", "/applications/{app_loop}/book?tz=America/Los_Angeles&day={loop_day}", screenshot=False),
    P("screen", "application-booked", "/applications/{app_screen}"),
    P("ready", "accommodation", "/applications/{app_ready}/accommodation"),
    P(
        "ready",
        "accommodation-errors",
        "/applications/{app_ready}/accommodation",
        status=400,
        submit="Send to my recruiter",
        screenshot=False,
    ),
    P("recruiter", "application-accommodation", "/staff/applications/{app_loop}", screenshot=False),
    P("screen", "move", "/applications/{app_screen}/book?tz=Europe/Amsterdam&move={screen_group}", screenshot=False),
    P("interviewer", "my-interviews", "/staff/interviews"),
    P("recruiter", "application-interviews", "/staff/applications/{app_screen}", screenshot=False),
    P("recruiter", "move-interview", "/staff/applications/{app_screen}/bookings/{screen_group}/move", screenshot=False),
    P("recruiter", "application-held-round", "/staff/applications/{app_onsite1}", screenshot=False),
    P("recruiter", "position-interviews", "/staff/positions/{backend}/schedule"),
    P(
        "recruiter",
        "position-interviews-error",
        "/staff/positions/{backend}/schedule",
        status=400,
        submit="Save",
        screenshot=False,
    ),
    P("interviewer", "availability", "/staff/availability"),
    P(
        "interviewer",
        "availability-calendar-errors",
        "/staff/availability",
        status=400,
        fill={"Address (https://...)": "ftp://calendar.example/me.ics"},
        submit="Connect and read it now",
        screenshot=False,
    ),
    # A connected calendar whose last reading failed (prepare_extra_pages).
    P("hr", "availability-calendar", "/staff/availability", screenshot=False),
    P(
        "interviewer",
        "availability-errors",
        "/staff/availability",
        status=400,
        fill={"Monday from": "17:00", "Monday until": "09:00"},
        submit="Save weekly hours",
        screenshot=False,
    ),
    # The technical screen: the choice, the take-home before and after its start, the library
    P("candidate", "technical-choice", "/applications/{app_casey}/technical"),
    P(
        "candidate",
        "technical-choice-errors",
        "/applications/{app_casey}/technical",
        status=400,
        submit="Confirm my choice",
        screenshot=False,
    ),
    P("takehome", "application", "/applications/{app_takehome}", screenshot=False),
    P("takehome", "technical-chosen", "/applications/{app_takehome}/technical", screenshot=False),
    P("takehome", "takehome-overview", "/applications/{app_takehome}/takehome"),
    P("working", "takehome-running", "/applications/{app_working}/takehome"),
    P("working", "application", "/applications/{app_working}", screenshot=False),
    P("handedin", "takehome-handed-in", "/applications/{app_handedin}/takehome", screenshot=False),
    P("handedin", "takehome-receipt", "/applications/{app_handedin}/takehome/submissions/1"),
    P("recruiter", "application-takehome", "/staff/applications/{app_working}", screenshot=False),
    P("recruiter", "application-takehome-time", "/staff/applications/{app_takehome}", screenshot=False),
    P(
        "working",
        "takehome-time-errors",
        "/applications/{app_working}/takehome",
        status=400,
        submit="Ask for more time",
        screenshot=False,
    ),
    P("recruiter", "position-technical-screen", "/staff/positions/{backend}/technical-screen"),
    # Blind grading: the grader's list, a take-home to grade (and its form refused empty), one graded
    # with the other grader's grade; who runs the application sees the graders and the weighted score.
    P("interviewer", "to-grade", "/staff/grading"),
    P("interviewer", "grade", "/staff/grading/{code_handedin}"),
    P(
        "interviewer",
        "grade-errors",
        "/staff/grading/{code_handedin}",
        status=400,
        submit="Submit the grade",
        screenshot=False,
    ),
    P("interviewer", "graded", "/staff/grading/{code_graded}"),
    P("interviewer", "graded-application-hidden", "/staff/applications/{app_graded}", status=404, screenshot=False),
    P("manager", "to-grade", "/staff/grading", screenshot=False),
    P("hr", "to-grade", "/staff/grading", screenshot=False),
    P("admin", "to-grade", "/staff/grading", screenshot=False),
    P("recruiter", "application-grading", "/staff/applications/{app_handedin}", screenshot=False),
    P("recruiter", "application-graded", "/staff/applications/{app_graded}"),
    P("manager", "application-graded", "/staff/applications/{app_graded}", screenshot=False),
    P("graded", "takehome-graded", "/applications/{app_graded}", screenshot=False),
    P("manager", "assignments", "/staff/assignments"),
    P("manager", "new-assignment", "/staff/assignments/new", screenshot=False),
    P(
        "manager",
        "new-assignment-errors",
        "/staff/assignments/new",
        status=400,
        fill={"Title": "", "Time limit (hours)": "0"},
        submit="Create assignment",
        screenshot=False,
    ),
    P("manager", "edit-assignment", "/staff/assignments/{assignment_crash}"),
    P("admin", "assignments", "/staff/assignments", screenshot=False),
    # Staff
    P("recruiter", "home", "/staff/"),
    P("recruiter", "positions", "/staff/positions"),
    P("recruiter", "new-position", "/staff/positions/new"),
    P(
        "recruiter",
        "new-position-errors",
        "/staff/positions/new",
        status=422,
        submit="Create position",
        fill={"Reapply wait after a rejection (months)": "2"},
        screenshot=False,
    ),
    P("recruiter", "edit-position", "/staff/positions/{backend}/edit", screenshot=False),
    P("recruiter", "pipeline", "/staff/positions/{backend}/pipeline"),
    P("recruiter", "pipeline-overdue", "/staff/positions/{backend}/pipeline?status=&overdue=1", screenshot=False),
    P(
        "recruiter",
        "pipeline-stage",
        "/staff/positions/{backend}/pipeline?stage={stage_screen}&status=",
        screenshot=False,
    ),
    P(
        "recruiter",
        "pipeline-search-empty",
        "/staff/positions/{backend}/pipeline?q=nobody-by-this-name",
        screenshot=False,
    ),
    P("recruiter", "application", "/staff/applications/{app_casey}"),
    P("recruiter", "application-decision", "/staff/applications/{app_decision}", screenshot=False),
    P("recruiter", "application-closed", "/staff/applications/{app_rejected}", screenshot=False),
    P("recruiter", "reject", "/staff/applications/{app_casey}/reject"),
    P(
        "recruiter",
        "reject-errors",
        "/staff/applications/{app_casey}/reject",
        status=422,
        submit="Reject and send feedback",
        screenshot=False,
    ),
    P("recruiter", "invite", "/auth/invitations/new"),
    P(
        "recruiter",
        "invite-errors",
        "/auth/invitations/new",
        status=422,
        submit="Send invitation",
        fill={"Candidate's email": "not-an-email"},
        screenshot=False,
    ),
    P("manager", "home", "/staff/"),
    P("manager", "positions", "/staff/positions", screenshot=False),
    P("manager", "pipeline", "/staff/positions/{backend}/pipeline", screenshot=False),
    P("manager", "application", "/staff/applications/{app_decision}", screenshot=False),
    P("manager", "edit-position", "/staff/positions/{backend}/edit", screenshot=False),
    P("recruiter", "close-position", "/staff/positions/{sre}/close", screenshot=False),
    P("interviewer", "home", "/staff/"),
    P("interviewer", "application", "/staff/applications/{app_onsite1}", screenshot=False),
    P("hr", "application", "/staff/applications/{app_onsite1}", screenshot=False),
    P("interviewer", "forbidden", "/staff/positions", status=403, screenshot=False),
    P("hr", "home", "/staff/"),
    P("admin", "home", "/staff/", screenshot=False),
    P("admin", "staff", "/admin/staff"),
    P("admin", "new-staff", "/admin/staff/new"),
    P(
        "admin",
        "new-staff-errors",
        "/admin/staff/new",
        status=422,
        submit="Create and send invitation",
        screenshot=False,
    ),
    P("admin", "edit-staff", "/admin/staff/{staff_recruiter}"),
    P("admin", "audit-log", "/admin/audit"),
    P("admin", "audit-log-filtered", "/admin/audit?action=application.advance&who=recruiter", screenshot=False),
    P("admin", "positions", "/staff/positions", screenshot=False),
    # Scorecards and interview kits: Olu's first round is held and the interviewer's scorecard is
    # overdue; Noor's is all submitted, the interviewer's amended once.
    P("interviewer", "kit", "/staff/interviews/{interview_olu}/kit"),
    P("interviewer", "scorecard", "/staff/interviews/{interview_olu}/scorecard"),
    P(
        "interviewer",
        "scorecard-errors",
        "/staff/interviews/{interview_olu}/scorecard",
        status=400,
        submit="Submit",
        screenshot=False,
    ),
    P("interviewer", "scorecard-amend", "/staff/interviews/{interview_noor}/scorecard", screenshot=False),
    P("interviewer", "application-scorecards", "/staff/applications/{app_onsite2}", screenshot=False),
    P("recruiter", "application-scorecards", "/staff/applications/{app_onsite2}"),
    P("recruiter", "application-scorecards-overdue", "/staff/applications/{app_onsite1}", screenshot=False),
    P("recruiter", "scorecard-versions", "/staff/scorecards/{scorecard_amended}"),
    P("manager", "application-scorecards", "/staff/applications/{app_onsite2}", screenshot=False),
    # Dana's decision: every scorecard in, four votes for hire and one against.
    P("manager", "decision", "/staff/applications/{app_decision}/decision"),
    P(
        "manager",
        "decision-errors",
        "/staff/applications/{app_decision}/decision",
        status=409,
        submit="Record: not selected",
        screenshot=False,
    ),
    P("interviewer", "decision", "/staff/applications/{app_decision}/decision", screenshot=False),
    P("recruiter", "decision", "/staff/applications/{app_decision}/decision", screenshot=False),
    # Outcomes: feedback published for Noor's first round and a draft for her screen; Hana's offer; the
    # backend position's stage ratings; Noor rates her first round, Hana answers her offer.
    P("recruiter", "feedback-published", "/staff/applications/{app_onsite2}/feedback/{stage_onsite1}"),
    P("recruiter", "feedback-draft", "/staff/applications/{app_onsite2}/feedback/{stage_screen}", screenshot=False),
    P(
        "recruiter",
        "feedback-preview",
        "/staff/applications/{app_onsite2}/feedback/{stage_screen}",
        fill={"Feedback for the candidate (Markdown)": "**Strengths:** a clear story.\n\n- one\n- two"},
        submit="Preview",
    ),
    P(
        "recruiter",
        "feedback-errors",
        "/staff/applications/{app_onsite2}/feedback/{stage_screen}",
        status=400,
        fill={"Feedback for the candidate (Markdown)": ""},
        submit="Publish to the candidate",
        screenshot=False,
    ),
    P("manager", "feedback-draft", "/staff/applications/{app_onsite2}/feedback/{stage_screen}", screenshot=False),
    P("recruiter", "offer", "/staff/applications/{app_hired}/offer"),
    P("manager", "offer", "/staff/applications/{app_hired}/offer", screenshot=False),
    P("recruiter", "satisfaction", "/staff/positions/{backend}/satisfaction"),
    P("hr", "decisions", "/staff/decisions"),
    P("onsite2", "application-feedback", "/applications/{app_onsite2}"),
    P(
        "onsite2",
        "application-rating-errors",
        "/applications/{app_onsite2}",
        status=400,
        submit="Send my rating of On-site, round 1",
        screenshot=False,
    ),
    P(
        "hired",
        "application-offer-errors",
        "/applications/{app_hired}",
        status=400,
        submit="Send my answer",
        screenshot=False,
    ),
    P("admin", "kits", "/admin/kits"),
    P("admin", "edit-kit", "/admin/kits/coding"),
    P(
        "admin",
        "edit-kit-errors",
        "/admin/kits/coding",
        status=400,
        fill={"What to probe (Markdown)": ""},
        submit="Save",
        screenshot=False,
    ),
]


def demo_ids() -> dict[str, int]:
    """The ids the catalogue's paths need, read from the demo data (inside an app context)."""
    from sqlalchemy import select

    from portal.accounts.models import User
    from portal.extensions import db
    from portal.hiring.models import Application, Position

    positions = {p.title: p for p in db.session.scalars(select(Position))}
    backend = positions["Senior Backend Engineer"]

    def application(email: str, position: Position | None = None) -> int:
        query = select(Application).join(User, Application.candidate_id == User.id).where(User.email == email)
        if position is not None:
            query = query.where(Application.position_id == position.id)
        found = db.session.scalars(query.order_by(Application.id)).unique().first()
        assert found is not None, f"the demo has no application of {email}"
        return found.id

    return {
        "backend": backend.id,
        "sre": positions["Site Reliability Engineer"].id,
        "designer": positions["Product Designer"].id,
        "closed": positions["Data Scientist, Churn"].id,
        "app_casey": application("candidate@example.com", backend),
        "app_casey_designer": application("candidate@example.com", positions["Product Designer"]),
        "app_rejected": application("rejected@example.com"),
        "app_hired": application("hired@example.com"),
        "app_withdrawn": application("withdrawn@example.com"),
        "app_decision": application("decision@example.com"),
        "app_onsite1": application("onsite1@example.com"),
        "app_onsite2": application("onsite2@example.com"),
        **_scorecard_ids(application),
        "stage_screen": next(s.id for s in backend.process.stages if s.key == "recruiter_screen"),
        "stage_onsite1": next(s.id for s in backend.process.stages if s.key == "onsite_1"),
        "app_takehome": application("takehome@example.com"),
        "app_working": application("working@example.com"),
        "app_handedin": application("handedin@example.com"),
        "app_graded": application("graded@example.com"),
        "code_handedin": _grading_code(application("handedin@example.com")),
        "code_graded": _grading_code(application("graded@example.com")),
        "assignment_crash": _assignment_id("Our importer crashes"),
        **_booking_ids(application),
        "staff_recruiter": User.by_email("recruiter@example.com").id,
    }


def _grading_code(application_id: int) -> str:
    from portal.takehome import grading

    return grading.graded_attempt(application_id).code


def _assignment_id(title_start: str) -> int:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.takehome.models import Assignment

    return db.session.scalar(select(Assignment.id).where(Assignment.title.startswith(title_start)))


def _scorecard_ids(application) -> dict[str, int]:
    """The interviewer's coding interviews of the demo's held rounds, and their amended scorecard."""
    from sqlalchemy import select

    from portal.accounts.models import User
    from portal.extensions import db
    from portal.feedback.models import Scorecard
    from portal.scheduling.models import Interview

    interviewer = User.by_email(ROLES["interviewer"])

    def interview_of(email: str) -> int:
        return db.session.scalar(
            select(Interview.id).where(
                Interview.application_id == application(email), Interview.interviewer_id == interviewer.id
            )
        )

    noor = interview_of("onsite2@example.com")
    return {
        "interview_olu": interview_of("onsite1@example.com"),
        "interview_noor": noor,
        "scorecard_amended": db.session.scalar(select(Scorecard.id).where(Scorecard.interview_id == noor)),
    }


def _booking_ids(application) -> dict[str, str | int]:
    """A free day and start time of the demo's candidates waiting to book, and a booking to move."""
    from zoneinfo import ZoneInfo

    from portal.extensions import db
    from portal.hiring.models import Application
    from portal.scheduling import read
    from portal.scheduling import services as scheduling
    from portal.templating import iso

    ready, loop, screen = (
        application("ready@example.com"),
        application("loop@example.com"),
        application("screen@example.com"),
    )
    ready_starts = scheduling.offer(db.session.get(Application, ready)).starts
    loop_starts = scheduling.offer(db.session.get(Application, loop)).starts
    assert ready_starts and loop_starts, "the demo's interviewers have free times"
    return {
        "app_ready": ready,
        "app_loop": loop,
        "app_screen": screen,
        "ready_day": ready_starts[0].astimezone(ZoneInfo("Europe/Amsterdam")).date().isoformat(),
        "ready_start": iso(ready_starts[0]),
        "loop_day": loop_starts[0].astimezone(ZoneInfo("America/Los_Angeles")).date().isoformat(),
        "screen_group": read.bookings_of(screen)[0].group_id,
    }


def prepare_extra_pages() -> dict[str, str]:
    """What the demo lacks for the catalogue (inside an app context, once): an unverified
    candidate, and a reset and an invitation link whose pages render until the link is used."""
    from sqlalchemy import select

    from portal.accounts import services as accounts
    from portal.accounts.models import User
    from portal.extensions import db
    from portal.notifications.models import OutboxMessage

    if User.by_email(UNVERIFIED_EMAIL) is None:
        accounts.sign_up(
            name="Uma Unverified", email=UNVERIFIED_EMAIL, password=DEMO_PASSWORD, timezone="Europe/Amsterdam"
        )
    accounts.request_password_reset(ROLES["candidate"])
    if User.by_email(INVITED_EMAIL) is None:
        accounts.invite_candidate(User.by_email(ROLES["recruiter"]), name="Ines Invited", email=INVITED_EMAIL)
    db.session.commit()
    _calendar_that_failed(User.by_email(ROLES["hr"]))

    def last_link(kind: str, to_addr: str, prefix: str) -> str:
        message = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == kind, OutboxMessage.to_addr == to_addr)
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert message is not None, f"no {kind} mail to {to_addr}"
        match = re.search(r"https?://[^/\s]+(" + re.escape(prefix) + r"[^\s]+)", message.body_text)
        assert match, f"no {prefix} link in the {kind} mail"
        return match.group(1)

    return {
        "reset_path": last_link("reset_password", ROLES["candidate"], "/auth/reset/"),
        "invite_path": last_link("invite", INVITED_EMAIL, "/auth/invite/"),
        "verify_path": last_link("verify_email", UNVERIFIED_EMAIL, "/auth/verify/"),
    }


def _calendar_that_failed(user) -> None:
    """A CalDAV account read three hours ago and failing since: nothing listens on 127.0.0.1:9."""
    from datetime import timedelta

    from portal.extensions import db
    from portal.scheduling import own_calendar
    from portal.scheduling.models import SchedulingProfile
    from portal.timeutil import utcnow

    profile = db.session.get(SchedulingProfile, user.id)
    if profile is not None and profile.calendar_kind:
        return
    own_calendar.connect(user, user, kind="caldav", url="http://127.0.0.1:9/dav/", username="hana", password="demo")
    own_calendar.refresh(user, actor=user)
    profile = db.session.get(SchedulingProfile, user.id)
    profile.calendar_refreshed_at = utcnow() - timedelta(hours=3)
    db.session.commit()
