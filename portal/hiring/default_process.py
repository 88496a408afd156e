"""The default hiring process of PRODUCT.md, as data that seeds the first process template."""
from __future__ import annotations

from portal.extensions import db
from portal.hiring.models import ProcessTemplate, Stage, StageKind

DEFAULT_PROCESS_NAME = "Default process"

DEFAULT_STAGES = [
    dict(
        key="applied", name="Applied", kind=StageKind.REVIEW, owner="Recruiter", duration="",
        candidate_summary="We have your application. A recruiter reads every application in full.",
        next_step="A recruiter reviews your application and either invites you to a recruiter screen or lets you know why not.",
    ),
    dict(
        key="recruiter_screen", name="Recruiter screen", kind=StageKind.SCREEN, owner="Recruiter",
        duration="30 minutes", interview_count=1,
        candidate_summary="A phone or video call about your background, experience, interest in the role and how you like to work.",
        next_step="After the call, the recruiter lets you know whether you move on to the technical screen.",
    ),
    dict(
        key="technical_screen", name="Technical screen", kind=StageKind.TECHNICAL,
        owner="Hiring or engineering manager", duration="Live: 45–60 minutes; take-home: a time-boxed window",
        interview_count=1,
        candidate_summary="You choose the format: a live technical screen (a coding exercise or a deep technical discussion) or a take-home assignment based on a real-world scenario.",
        next_step="The hiring team reviews your screen and lets you know whether you are invited to the on-site interviews.",
    ),
    dict(
        key="onsite_1", name="On-site, round 1", kind=StageKind.LOOP, owner="Four engineers and one HR partner",
        duration="Five interviews of about 45–60 minutes, one day", interview_count=5,
        candidate_summary="Five individual interviews: coding, whiteboarding, data structures and algorithms, system design, and a behavioural and culture interview with HR.",
        next_step="The interview team meets to discuss; you hear whether you are invited to the second round.",
    ),
    dict(
        key="onsite_2", name="On-site, round 2", kind=StageKind.LOOP, owner="HR, the hiring manager and another engineering manager",
        duration="Three interviews of about 45 minutes", interview_count=3,
        candidate_summary="Three conversations about culture and how you work: with HR, the hiring manager and another engineering manager.",
        next_step="Everyone who interviewed you decides together.",
    ),
    dict(
        key="decision", name="Decision", kind=StageKind.DECISION, owner="Everyone who interviewed you",
        candidate_summary="The interview team decides together. A hire needs everyone's agreement.",
        next_step="The recruiter tells you the outcome, with feedback either way.",
    ),
    dict(
        key="outcome", name="Outcome", kind=StageKind.OUTCOME, owner="Recruiter", sla_days=0,
        candidate_summary="The outcome of your application: an offer, or feedback and the date from which you may apply again.",
        next_step="",
    ),
]


def ensure_default_process() -> ProcessTemplate:
    """Create the default process template if it does not exist yet (flushes, does not commit)."""
    template = db.session.query(ProcessTemplate).filter_by(is_default=True).one_or_none()
    if template is not None:
        return template
    template = ProcessTemplate(name=DEFAULT_PROCESS_NAME, is_default=True)
    for order, spec in enumerate(DEFAULT_STAGES, start=1):
        spec = dict(spec)
        spec["kind"] = spec["kind"].value
        spec.setdefault("sla_days", 5)
        template.stages.append(Stage(order=order, **spec))
    db.session.add(template)
    db.session.flush()
    return template
