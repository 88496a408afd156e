"""The default hiring process of PRODUCT.md, as data that seeds the first process template."""

from __future__ import annotations

from portal.extensions import db
from portal.accounts.models import Role
from portal.hiring.models import InterviewKind, PlannedInterview, ProcessTemplate, Stage, StageKind, TechnicalFormat

DEFAULT_PROCESS_NAME = "Default process"

# Kinds of interview: (key, name, default length in minutes, what it covers).
INTERVIEW_KINDS = [
    ("recruiter_screen", "Recruiter screen", 30, "Background, experience, interest in the role and culture alignment."),
    ("live_technical", "Live technical screen", 60, "A coding exercise or a deep technical discussion."),
    ("coding", "Coding", 60, "Solving a real-world problem in code, with tests."),
    ("whiteboarding", "Whiteboarding", 45, "Reasoning through a problem out loud and in sketches."),
    (
        "data_structures",
        "Data structures and algorithms",
        45,
        "Choosing and combining data structures for a real task.",
    ),
    ("system_design", "System design", 60, "Requirements, trade-offs, scalability and operability."),
    (
        "hr_behavioural",
        "Behavioural and culture (HR)",
        45,
        "Ownership, candour and collaboration, from real situations.",
    ),
    ("hiring_manager", "Hiring manager", 45, "The role, the team and how you like to work."),
    (
        "engineering_manager",
        "Engineering manager",
        45,
        "How you work with others and grow, with an engineering manager from another team.",
    ),
    ("hr_culture", "Culture and values (HR)", 45, "Freedom and responsibility, context not control."),
]

ENGINEER, HR, MANAGER, RECRUITER = (
    Role.INTERVIEWER.value,
    Role.HR.value,
    Role.HIRING_MANAGER.value,
    Role.RECRUITER.value,
)

# Each stage's interviews: (kind, minutes, run by role, needs a qualification for the kind, format).
# The hiring manager's interview is theirs by position, not by qualification.
INTERVIEW_PLANS = {
    "recruiter_screen": [("recruiter_screen", 30, RECRUITER, False, None)],
    "technical_screen": [("live_technical", 60, ENGINEER, True, TechnicalFormat.LIVE.value)],
    "onsite_1": [
        ("coding", 60, ENGINEER, True, None),
        ("whiteboarding", 45, ENGINEER, True, None),
        ("data_structures", 45, ENGINEER, True, None),
        ("system_design", 60, ENGINEER, True, None),
        ("hr_behavioural", 45, HR, True, None),
    ],
    "onsite_2": [
        ("hr_culture", 45, HR, True, None),
        ("hiring_manager", 45, MANAGER, False, None),
        ("engineering_manager", 45, ENGINEER, True, None),
    ],
}

DEFAULT_STAGES = [
    dict(
        key="applied",
        name="Applied",
        kind=StageKind.REVIEW,
        owner="Recruiter",
        duration="",
        candidate_summary="We have your application. A recruiter reads every application in full.",
        next_step="A recruiter reviews your application and either invites you to a recruiter screen or lets you know why not.",
    ),
    dict(
        key="recruiter_screen",
        name="Recruiter screen",
        kind=StageKind.SCREEN,
        owner="Recruiter",
        duration="30 minutes",
        candidate_summary="A phone or video call about your background, experience, interest in the role and how you like to work.",
        next_step="After the call, the recruiter lets you know whether you move on to the technical screen.",
    ),
    dict(
        key="technical_screen",
        name="Technical screen",
        kind=StageKind.TECHNICAL,
        owner="Hiring or engineering manager",
        duration="Live: 45–60 minutes; take-home: a time-boxed window",
        candidate_summary="You choose the format: a live technical screen (a coding exercise or a deep technical discussion) or a take-home assignment based on a real-world scenario.",
        next_step="The hiring team reviews your screen and lets you know whether you are invited to the on-site interviews.",
    ),
    dict(
        key="onsite_1",
        name="On-site, round 1",
        kind=StageKind.LOOP,
        owner="Four engineers and one HR partner",
        duration="Five interviews of about 45–60 minutes, one day",
        candidate_summary="Five individual interviews: coding, whiteboarding, data structures and algorithms, system design, and a behavioural and culture interview with HR.",
        next_step="The interview team meets to discuss; you hear whether you are invited to the second round.",
    ),
    dict(
        key="onsite_2",
        name="On-site, round 2",
        kind=StageKind.LOOP,
        owner="HR, the hiring manager and another engineering manager",
        duration="Three interviews of about 45 minutes",
        candidate_summary="Three conversations about culture and how you work: with HR, the hiring manager and another engineering manager.",
        next_step="Everyone who interviewed you decides together.",
    ),
    dict(
        key="decision",
        name="Decision",
        kind=StageKind.DECISION,
        owner="Everyone who interviewed you",
        candidate_summary="The interview team decides together. A hire needs everyone's agreement.",
        next_step="The recruiter tells you the outcome, with feedback either way.",
    ),
    dict(
        key="outcome",
        name="Outcome",
        kind=StageKind.OUTCOME,
        owner="Recruiter",
        sla_days=0,
        candidate_summary="The outcome of your application: an offer, or feedback and the date from which you may apply again.",
        next_step="",
    ),
]


def ensure_interview_kinds() -> dict[str, InterviewKind]:
    """The interview kinds every plan refers to, created where missing (flushes, does not commit)."""
    kinds = {kind.key: kind for kind in db.session.query(InterviewKind)}
    for key, name, minutes, description in INTERVIEW_KINDS:
        if key not in kinds:
            kinds[key] = InterviewKind(key=key, name=name, default_minutes=minutes, description=description)
            db.session.add(kinds[key])
    db.session.flush()
    return kinds


def ensure_default_process() -> ProcessTemplate:
    """Create the default process template if it does not exist yet (flushes, does not commit)."""
    template = db.session.query(ProcessTemplate).filter_by(is_default=True).one_or_none()
    if template is not None:
        return template
    kinds = ensure_interview_kinds()
    template = ProcessTemplate(name=DEFAULT_PROCESS_NAME, is_default=True)
    for order, spec in enumerate(DEFAULT_STAGES, start=1):
        spec = dict(spec)
        spec["kind"] = spec["kind"].value
        spec.setdefault("sla_days", 5)
        stage = Stage(order=order, **spec)
        for number, (kind, minutes, role, qualified, fmt) in enumerate(INTERVIEW_PLANS.get(stage.key, []), start=1):
            stage.interview_plan.append(
                PlannedInterview(
                    order=number,
                    kind=kinds[kind],
                    minutes=minutes,
                    run_by_role=role,
                    needs_qualification=qualified,
                    format=fmt,
                )
            )
        template.stages.append(stage)
    db.session.add(template)
    db.session.flush()
    return template
