"""Demo data for `make run`: positions, staff of every role, candidates at every stage."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select, update

from portal.accounts import services as accounts
from portal.accounts.models import Role, User
from portal.extensions import db
from portal.unit_of_work import transactional
from portal.hiring import process
from portal.hiring import services as hiring
from portal.hiring.models import Application, PositionStatus, StageEvent
from portal.notifications.models import OutboxMessage, OutboxStatus
from portal.timeutil import add_months, utcnow

PASSWORD = "candor-demo-2026"

STAFF = [
    ("admin@example.com", "Avery Admin", [Role.ADMIN]),
    ("recruiter@example.com", "Riley Recruiter", [Role.RECRUITER]),
    ("manager@example.com", "Morgan Manager", [Role.HIRING_MANAGER, Role.INTERVIEWER]),
    ("interviewer@example.com", "Indra Interviewer", [Role.INTERVIEWER]),
    ("hr@example.com", "Harper HR", [Role.HR, Role.INTERVIEWER]),
    ("design.lead@example.com", "Taylor Lead", [Role.HIRING_MANAGER, Role.INTERVIEWER]),
    ("jordan@example.com", "Jordan Engineer", [Role.INTERVIEWER]),
    ("kim@example.com", "Kim Engineer", [Role.INTERVIEWER]),
    ("lee@example.com", "Lee Engineer", [Role.INTERVIEWER]),
]
# Everyone keeps office hours in Amsterdam, except an engineer in New York (times show in each zone).
STAFF_ZONES = {"lee@example.com": "America/New_York"}

# (email, name, number of advances from Applied, final action or None, days since the last change)
CANDIDATES = [
    ("candidate@example.com", "Casey Candidate", 2, None, 1),
    ("applied@example.com", "Alex Applied", 0, None, 9),
    ("screen@example.com", "Sam Screen", 1, None, 2),
    ("onsite1@example.com", "Olu Onsite", 3, None, 3),
    ("onsite2@example.com", "Noor Second", 4, None, 12),
    ("decision@example.com", "Dana Decision", 5, None, 1),
    ("hired@example.com", "Hana Hired", 5, process.Action.HIRE, 4),
    ("rejected@example.com", "Remy Rejected", 2, process.Action.REJECT, 20),
    # Waiting to choose a time: a recruiter screen, and an on-site round (for trying the booking pages).
    ("ready@example.com", "Robin Ready", 1, None, 1),
    ("loop@example.com", "Lou Loop", 3, None, 2),
    # At the technical screen with a take-home: chosen but not started, and one whose clock runs.
    ("takehome@example.com", "Tara Takehome", 2, None, 1),
    ("working@example.com", "Wren Working", 2, None, 2),
    ("handedin@example.com", "Hal Handedin", 2, None, 3),
    ("withdrawn@example.com", "Wes Withdrawn", 1, process.Action.WITHDRAW, 6),
    # A take-home graded blind by two engineers: the weighted score waits for the recruiter's move.
    ("graded@example.com", "Gale Graded", 2, None, 4),
    # At the decision with every vote for hire: the hiring manager has yet to record it.
    ("unanimous@example.com", "Uma Unanimous", 5, None, 2),
]

POSITIONS = [
    dict(
        title="Senior Backend Engineer",
        team="Platform",
        location="Remote (Europe)",
        summary="Build the services that keep our streaming catalogue fast and correct.",
        description="You will own services end to end: design, build, run. We value context over control: "
        "you get the why, and decide the how.\n\nYou have shipped and operated distributed "
        "systems, and you write code others enjoy reading.",
    ),
    dict(
        title="Site Reliability Engineer",
        team="Infrastructure",
        location="Amsterdam or remote",
        summary="Keep production calm: automation, observability, and incident practice.",
        description="Help us make every deploy boring. You will automate what is manual today, improve our "
        "observability, and lead blameless incident reviews.",
    ),
    dict(
        title="Product Designer",
        team="Candidate Experience",
        location="Remote",
        manager="design.lead@example.com",
        summary="Design a hiring process candidates would recommend to friends.",
        description="Research, prototype and ship the candidate-facing side of our product with engineers.",
    ),
    dict(
        title="Data Scientist, Churn",
        team="Insights",
        location="Remote",
        status=PositionStatus.CLOSED.value,
        summary="Predict and prevent churn.",
        description="This position is filled.",
    ),
]

# A minimal, valid one-page PDF, so demo CVs download as real files.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


class PartialDemo(RuntimeError):
    """An earlier seed stopped half way; the database must be removed and seeded again."""


def already_seeded() -> bool:
    if User.by_email(STAFF[0][0]) is None:
        return False
    if User.by_email(CANDIDATES[-1][0]) is None:  # seeded near the end: its absence means seed() stopped
        raise PartialDemo(
            "The demo data is incomplete (an earlier seed stopped half way). "
            "Delete instance/candor.sqlite3 (or empty the database) and run `make run` again."
        )
    return True


@transactional
def seed() -> None:
    """All of the demo in one transaction: a failure half way leaves nothing behind."""
    staff = {
        email: accounts.create_staff(email=email, name=name, roles=roles, password=PASSWORD)
        for email, name, roles in STAFF
    }
    recruiter, manager = staff["recruiter@example.com"], staff["manager@example.com"]
    positions = []
    for spec in POSITIONS:
        spec = dict(spec)
        owner = staff[spec.pop("manager", "manager@example.com")]
        positions.append(
            hiring.create_position(recruiter, hiring_manager_id=owner.id, recruiter_id=recruiter.id, **spec)
        )
    backend = positions[0]
    # A hire needs the team's unanimous vote: recorded once the interviews and scorecards exist.
    hires = []
    for index, (email, name, advances, final, days_ago) in enumerate(CANDIDATES):
        user = accounts.sign_up(name=name, email=email, password=PASSWORD, timezone="Europe/Amsterdam")
        user.email_verified_at = utcnow()
        position = backend if index % 3 != 2 else positions[1]
        application = hiring.apply(
            user,
            position,
            cv_stream=io.BytesIO(DEMO_PDF),
            cv_filename=f"{name.replace(' ', '-')}-CV.pdf",
            answers={
                "motivation": "I like how you run hiring in the open.",
                "proud_of": "I cut our deploy time from an hour to five minutes.",
                "link": "",
            },
        )
        for _ in range(advances):
            hiring.move(application.id, process.Action.ADVANCE, recruiter)
        if final is process.Action.REJECT:
            hiring.move(
                application.id,
                final,
                recruiter,
                feedback=(
                    "Thank you for the time you gave us. Strengths: clear communication and a thoughtful "
                    "approach to trade-offs. To grow: go deeper on system design at scale. We would be glad "
                    "to hear from you again."
                ),
            )
        elif final is process.Action.WITHDRAW:
            hiring.move(application.id, final, user)
        elif final is process.Action.HIRE:
            hires.append((application.id, days_ago))
            continue
        _age(application.id, days_ago)
    _panels_and_qualifications(staff)
    _scheduling(staff, positions)
    from portal.takehome import demo as takehome_demo

    takehome_demo.seed(staff, positions, _application_of)
    from portal.feedback import demo as feedback_demo

    feedback_demo.seed()
    engineers = ["interviewer@example.com", "jordan@example.com", "kim@example.com", "lee@example.com"]
    dana = _application_of("decision@example.com")
    _held_round(dana, staff, engineers, days_ago=4)
    feedback_demo.decision_with_a_dissent(dana)
    uma = _application_of("unanimous@example.com")
    # Held further back than every other round, so the same interviewers are never booked twice at once.
    _held_round(uma, staff, engineers, days_ago=15)
    feedback_demo.unanimous_votes(uma)
    for application_id, days_ago in hires:
        application = db.session.get(Application, application_id)
        _held_round(application, staff, engineers, days_ago=days_ago + 7)
        feedback_demo.unanimous_hire(application, manager)
        _age(application_id, days_ago)
    feedback_demo.outcomes(recruiter)
    # A second application for the first candidate, so the dashboard shows more than one.
    casey = User.by_email(CANDIDATES[0][0])
    hiring.apply(
        casey,
        positions[2],
        cv_stream=io.BytesIO(DEMO_PDF),
        cv_filename="Casey-CV.pdf",
        answers={"motivation": "Design is how it works.", "proud_of": "", "link": ""},
    )
    # The demo's history happened before today: its mail is not sent again.
    db.session.execute(update(OutboxMessage).values(status=OutboxStatus.SENT.value, sent_at=utcnow()))


ENGINEERING = ["live_technical", "coding", "whiteboarding", "data_structures", "system_design"]
QUALIFICATIONS = {
    "interviewer@example.com": ENGINEERING,
    "jordan@example.com": ENGINEERING,
    "kim@example.com": ENGINEERING + ["engineering_manager"],
    "lee@example.com": ENGINEERING,
    "manager@example.com": ["live_technical", "system_design", "engineering_manager"],
    "design.lead@example.com": ["engineering_manager"],
    "hr@example.com": ["hr_behavioural", "hr_culture"],
}


def _panels_and_qualifications(staff: dict[str, User]) -> None:
    """Who may run which interviews, and the panels of the candidates already past the screens."""
    admin = staff["admin@example.com"]
    for email, kinds in QUALIFICATIONS.items():
        hiring.set_qualifications(admin, staff[email], kinds)
    for email in ("onsite1@example.com", "onsite2@example.com", "decision@example.com"):
        application = db.session.scalars(
            select(Application).join(User, Application.candidate_id == User.id).where(User.email == email)
        ).one()
        for member in ("interviewer@example.com", "hr@example.com"):
            hiring.add_to_panel(staff["recruiter@example.com"], application, staff[member])


def _scheduling(staff: dict[str, User], positions) -> None:
    """Office hours for every staff member, a pool for every position, and bookings: an upcoming
    screen, an upcoming second round, and first rounds already held."""
    from portal.scheduling import services as scheduling
    from portal.scheduling import staff as availability

    admin, recruiter = staff["admin@example.com"], staff["recruiter@example.com"]
    weekdays = [(day, 9 * 60, 17 * 60) for day in range(5)]
    for email, member in staff.items():
        member.timezone = STAFF_ZONES.get(email, "Europe/Amsterdam")
        availability.set_weekly_windows(admin, member, weekdays)
    for position in positions:
        for email, kinds in QUALIFICATIONS.items():
            availability.set_pool_kinds(recruiter, position, staff[email], kinds)

    def application_of(email: str) -> Application:
        return db.session.scalars(
            select(Application).join(User, Application.candidate_id == User.id).where(User.email == email)
        ).one()

    for email in ("screen@example.com", "onsite2@example.com"):  # an upcoming screen and second round
        application = application_of(email)
        offer = scheduling.offer(application)
        if offer.starts:
            scheduling.book(application.id, offer.starts[len(offer.starts) // 4], application.candidate)
    # Lou asks for extra time before booking the on-site round; the recruiter has not answered yet.
    from portal.scheduling import accommodations

    lou = application_of("loop@example.com")
    accommodations.ask(
        lou, lou.candidate, ["extra_time"], "I am dyslexic: reading code on a shared screen takes me longer."
    )
    engineers = ["interviewer@example.com", "jordan@example.com", "kim@example.com", "lee@example.com"]
    # Noor's first round was held last week; Olu's this week, so Olu's is ready for review.
    _held_round(application_of("onsite2@example.com"), staff, engineers, days_ago=8)
    _held_round(application_of("onsite1@example.com"), staff, engineers, days_ago=2)


def _application_of(email: str) -> Application:
    return db.session.scalars(
        select(Application).join(User, Application.candidate_id == User.id).where(User.email == email)
    ).one()


def _held_round(application: Application, staff: dict[str, User], engineers: list[str], *, days_ago: int) -> None:
    """A first on-site round that took place: each interview completed, its interviewers on the panel."""
    from portal.scheduling.models import Interview, InterviewStatus

    round_one = application.position.process.stage_by_key("onsite_1")
    start = (utcnow() - timedelta(days=days_ago)).replace(hour=8, minute=0, second=0, microsecond=0)
    while start.weekday() >= 5:  # on a working day
        start -= timedelta(days=1)
    for index, planned in enumerate(round_one.interview_plan):
        interviewer = staff[engineers[index]] if index < len(engineers) else staff["hr@example.com"]
        db.session.add(
            Interview(
                application_id=application.id,
                stage_id=round_one.id,
                planned_interview_id=planned.id,
                kind_key=planned.kind_key,
                interviewer_id=interviewer.id,
                candidate_id=application.candidate_id,
                group_id=f"demo-round-one-{application.id}",
                starts_at=start,
                ends_at=start + timedelta(minutes=planned.minutes),
                status=InterviewStatus.COMPLETED.value,
                video_link="https://meet.jit.si/candor-demo",
            )
        )
        hiring.add_to_panel(staff["recruiter@example.com"], application, interviewer)
        start += timedelta(minutes=planned.minutes + 15)
    db.session.flush()
    if application.stage_id == round_one.id:
        # Booked and held: the move is the team's (they review the round), as a booking through the
        # portal leaves it.
        from portal.hiring import progress as stage_progress

        stage_progress.hand_to_staff(application, step="booked")


def _application_of(email: str) -> Application:
    return db.session.scalars(
        select(Application).join(User, Application.candidate_id == User.id).where(User.email == email)
    ).one()


def _age(application_id: int, days: int) -> None:
    """Spread the application's history over the past weeks, so SLA flags and day counts show."""
    application = db.session.get(Application, application_id)
    events = list(
        db.session.scalars(
            select(StageEvent).where(StageEvent.application_id == application_id).order_by(StageEvent.id)
        )
    )
    for position, event in enumerate(events):
        event.created_at -= timedelta(days=days + 3 * (len(events) - 1 - position))
    application.created_at = events[0].created_at
    application.stage_entered_at = events[-1].created_at
    if application.closed_at:
        application.closed_at = events[-1].created_at
    if application.reapply_after:
        application.reapply_after = add_months(
            application.closed_at.date(), application.position.reapply_cooldown_months
        )
    db.session.flush()


def logins_text() -> str:
    lines = [f"Demo sign-ins (password for all: {PASSWORD}):"]
    lines += [f"  {', '.join(r.label for r in roles):<28} {email}" for email, _, roles in STAFF]
    lines += [
        f"  {'Candidate':<28} {CANDIDATES[0][0]}  (others: applied@, screen@, onsite1@, onsite2@, "
        f"decision@, hired@, rejected@, withdrawn@ example.com; ready@ and loop@ can book interviews; "
        f"takehome@ has a take-home to start, working@ one under way, handedin@ one handed in and waiting "
        f"for its graders, graded@ one graded; interviewer@ has take-homes to grade)"
    ]
    return "\n".join(lines)
