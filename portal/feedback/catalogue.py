"""The default interview kits: per interview kind what to probe, the competencies with what strong
and weak answers look like, and real-world scenario prompts; plus the culture values and soft skills
every scorecard rates. Seeded as rows (migration 0011, `ensure_defaults` for a fresh schema), then
the rows are the truth and admins edit them."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db

# (name, what it means, what a strong answer looks like, what a weak answer looks like)
VALUES = [
    (
        "Freedom & Responsibility",
        "Uses freedom to act in the company's best interest, and owns the outcome.",
        "Describes decisions they took without being asked, the trade-off they weighed, and what they did when it went wrong.",
        "Waits for permission, or takes freedom without owning the result; blames others for outcomes.",
    ),
    (
        "Context not Control",
        "Gives and seeks context so that others can decide well, rather than controlling decisions.",
        "Explains the why behind a request; asks for context before deciding; trusts colleagues with the how.",
        "Prescribes every step, hoards information, or asks to be told exactly what to do.",
    ),
]
SOFT_SKILLS = [
    (
        "Communication",
        "Explains clearly, listens, and adapts to the audience.",
        "Structures answers, checks understanding, asks good clarifying questions.",
        "Rambles or stays vague; does not listen to hints or questions.",
    ),
    (
        "Teamwork",
        "Works with others towards a shared goal.",
        "Credits others, seeks input, handles disagreement openly and kindly.",
        "Speaks only of 'I', dismisses other views, avoids shared work.",
    ),
    (
        "Leadership",
        "Moves people and work forward, with or without a title.",
        "Gives examples of rallying a group, mentoring, or making a hard call and explaining it.",
        "No examples of influencing others; leadership described only as authority.",
    ),
]

CRASH = (
    "Our app crashes under this input, here is the code (share the snippet): how do you diagnose it? "
    "What do you look at first, how do you reproduce it, and how do you make sure it never comes back?"
)
BREACH = (
    "Our traffic shows a pattern that suggests a breach (many sign-ins from new countries, a spike in data "
    "exports): how do you investigate, and how do you respond in the first hour and the first week?"
)
DEPLOY = (
    "Our deployment is manual and error prone (a runbook of 30 steps, run by one person): how would you "
    "automate it, and how would you roll it out without stopping the team?"
)
CHURN = (
    "We want to predict churn from our user data (sign-ups, viewing history, payments, support tickets): "
    "how would you approach it, with which models, and how would you know it works?"
)

KITS: dict[str, dict] = {
    "recruiter_screen": dict(
        probe="Background and the story behind the CV; why this role and why now; how they like to work; "
        "practicalities (notice, location, salary range). Leave time for their questions.",
        competencies=[
            (
                "Motivation",
                "Why this role, this team, now.",
                "Specific reasons tied to the work and the team; has read about us.",
                "Generic reasons that fit any company.",
            ),
            (
                "Relevant experience",
                "Experience that maps to what the role needs.",
                "Concrete examples with their own part in them and measurable results.",
                "Lists technologies without what they did with them.",
            ),
            (
                "Culture alignment",
                "How they like to work, compared with how we work.",
                "Thrives with freedom and candid feedback; examples of both.",
                "Looks for detailed direction and close supervision.",
            ),
        ],
        scenarios=[
            "Tell me about a project you are proud of: what was your part, and what would you do differently now?",
            "A manager gave you a goal but no plan: what did you do in the first two weeks?",
        ],
    ),
    "live_technical": dict(
        probe="Pick one exercise and go deep rather than wide. Let the candidate drive; give hints "
        "when they are stuck and note how they use them.",
        competencies=[
            (
                "Problem solving",
                "Turns an unclear problem into a working approach.",
                "Clarifies the problem, proposes options, picks one for a reason, adjusts with feedback.",
                "Jumps into code without understanding the problem; stuck without hints.",
            ),
            (
                "Technical depth",
                "Understands the tools and concepts they use.",
                "Explains why things work, including failure modes and limits.",
                "Knows names and recipes, not the reasons behind them.",
            ),
            (
                "Communication while coding",
                "Thinks out loud so that others can follow.",
                "Narrates intent, checks assumptions, responds to hints.",
                "Silent for long stretches; defensive about questions.",
            ),
        ],
        scenarios=[CRASH, "This endpoint got ten times slower after last week's release: how do you find out why?"],
    ),
    "coding": dict(
        probe="Working, tested code for a real-world problem. Watch how they break the problem down, "
        "how they test, and how they talk while they code. Correctness before cleverness.",
        competencies=[
            (
                "Problem solving",
                "Breaks the problem down and reaches a working solution.",
                "Clarifies requirements and edge cases first; iterates from simple to complete.",
                "Starts typing at once; loses track of the goal; needs the solution handed over.",
            ),
            (
                "Code quality",
                "Code that others can read, change and trust.",
                "Clear names, small functions, no surprises; refactors as they go.",
                "Tangled code, copy-paste, names that mislead.",
            ),
            (
                "Testing",
                "Knows the code works, and shows it.",
                "Writes tests for normal and edge cases unprompted; uses them to drive changes.",
                "No tests, or only after being asked; cannot say which cases matter.",
            ),
            (
                "Communication while coding",
                "Keeps the interviewer with them.",
                "Explains intent before writing it; asks when unsure; takes hints well.",
                "Works in silence; ignores hints; cannot explain what the code does.",
            ),
        ],
        scenarios=[
            CRASH,
            "Here is a function that parses our partners' CSV feed and sometimes drops rows: fix it and prove it.",
            "Add rate limiting to this small API handler without breaking its callers.",
        ],
    ),
    "whiteboarding": dict(
        probe="Reasoning out loud and in sketches about a real problem; no code needed. Look for structure, "
        "trade-offs named, and how they respond when you change a constraint.",
        competencies=[
            (
                "Structured thinking",
                "Lays out the problem and a path through it.",
                "Draws the pieces and how they connect; names assumptions.",
                "Jumps between details without a picture of the whole.",
            ),
            (
                "Trade-offs",
                "Weighs options instead of picking the first.",
                "Names at least two options and why one fits these constraints.",
                "One option, defended regardless of the constraints.",
            ),
            (
                "Explaining clearly",
                "Makes a complex idea easy to follow.",
                "Adapts the level of detail; checks understanding.",
                "Loses the listener; cannot simplify.",
            ),
        ],
        scenarios=[
            BREACH,
            "Sketch how a video gets from our encoders to a phone on a train with a poor connection.",
        ],
    ),
    "data_structures": dict(
        probe="Choosing and combining data structures for a real task; complexity where it matters, not recitation.",
        competencies=[
            (
                "Choice of data structures",
                "Picks structures that fit the access pattern.",
                "Justifies the choice by the operations needed and their frequency.",
                "Defaults to a list or a map whatever the task.",
            ),
            (
                "Complexity reasoning",
                "Knows what the solution costs in time and memory.",
                "States costs, finds the bottleneck, improves it when asked.",
                "Cannot estimate cost, or misjudges it badly.",
            ),
            (
                "Correctness",
                "Handles edge cases and proves the solution right.",
                "Walks through examples, including empty and huge inputs.",
                "Misses obvious edge cases; cannot show it works.",
            ),
        ],
        scenarios=[
            CHURN,
            "We keep 'recently watched' for 200 million members: how do you store it so the home page loads fast?",
        ],
    ),
    "system_design": dict(
        probe="A real system, end to end: requirements first, then the design, then what breaks at scale "
        "and how it is run. Push on one area in depth.",
        competencies=[
            (
                "Requirements",
                "Finds out what the system must do, and how well.",
                "Asks about users, load, latency, consistency and cost before designing.",
                "Designs before knowing what is needed.",
            ),
            (
                "Trade-offs",
                "Chooses between designs for stated reasons.",
                "Compares options on the requirements; knows what each gives up.",
                "Buzzwords instead of reasons; no downside named.",
            ),
            (
                "Scalability",
                "The design grows with load and data.",
                "Finds the bottleneck, partitions or caches where it matters, estimates numbers.",
                "Hand-waves 'add more servers'; no estimate of load.",
            ),
            (
                "Operability",
                "The system can be deployed, observed and repaired.",
                "Talks about monitoring, alerts, rollbacks, failure modes and on-call.",
                "Stops at the diagram; nothing on how it runs or fails.",
            ),
        ],
        scenarios=[
            DEPLOY,
            BREACH,
            "Design the service that tells a member which episode to resume, on any device, within a second.",
        ],
    ),
    "hr_behavioural": dict(
        probe="Real situations from their past (ask for a specific example, then what they did, then what "
        "happened). Listen for 'I' and 'we' in the right places.",
        competencies=[
            (
                "Ownership",
                "Takes responsibility for outcomes, not just tasks.",
                "Examples of seeing a problem through, including fixing their own mistakes.",
                "Describes problems as someone else's; stops at 'I did my part'.",
            ),
            (
                "Candour",
                "Says what they think, kindly and directly, and welcomes the same.",
                "Examples of giving hard feedback upward or sideways, and of changing their mind.",
                "Avoids conflict, or is blunt without care.",
            ),
            (
                "Collaboration",
                "Makes the people around them more effective.",
                "Examples of sharing context, unblocking others, resolving disagreement.",
                "Works alone by choice; others appear only as obstacles.",
            ),
        ],
        scenarios=[
            "Tell me about a time you disagreed with your manager's decision. What did you do, and what happened?",
            "Tell me about a mistake of yours that reached users. How did you find out, and what did you change?",
        ],
    ),
    "hiring_manager": dict(
        probe="The role, the team and how the candidate likes to work; what they need to do their best work; "
        "where they want to grow.",
        competencies=[
            (
                "Role fit",
                "Would do the work this role needs, well.",
                "Examples that match the role's hardest problems.",
                "Experience far from what the role needs, with no bridge.",
            ),
            (
                "Judgement",
                "Makes sound decisions with incomplete information.",
                "Explains how they decided, what they knew, and what they would change.",
                "Decisions by habit or by authority.",
            ),
            (
                "Growth",
                "Learns and helps others learn.",
                "Seeks feedback, names what they learnt recently and how.",
                "No recent learning; defensive about feedback.",
            ),
        ],
        scenarios=[
            "Your first month here: what would you want to know, and from whom?",
            "A project you led is late and the team is tired: what do you do this week?",
        ],
    ),
    "engineering_manager": dict(
        probe="How they work with others and grow, seen by an engineering manager from another team.",
        competencies=[
            (
                "Cross-team collaboration",
                "Works well with teams they do not belong to.",
                "Examples of aligning teams with different goals.",
                "Escalates instead of talking; sees other teams as blockers.",
            ),
            (
                "Technical leadership",
                "Raises the bar of the people and systems around them.",
                "Examples of mentoring, design reviews, improving practices.",
                "Only their own output matters.",
            ),
            (
                "Self-awareness",
                "Knows their strengths and gaps.",
                "Names real weaknesses and what they do about them.",
                "No weaknesses, or only flattering ones.",
            ),
        ],
        scenarios=[
            DEPLOY,
            "Another team's service keeps breaking yours, and they have other priorities: what do you do?",
        ],
    ),
    "hr_culture": dict(
        probe="Freedom and responsibility, context not control, candour: how the candidate behaves in a "
        "culture with few rules and high expectations.",
        competencies=[
            (
                "Judgement without rules",
                "Acts well where no policy says what to do.",
                "Examples of deciding in the company's interest with no rule to follow.",
                "Asks for a policy for everything.",
            ),
            (
                "Feedback culture",
                "Gives and takes candid feedback.",
                "Specific examples of feedback given and received, and what changed.",
                "Feedback only in formal reviews, or never.",
            ),
            (
                "Inclusion",
                "Makes room for different people and views.",
                "Examples of bringing quieter voices in and changing their view.",
                "Sees difference as friction.",
            ),
        ],
        scenarios=[
            "You notice a colleague spending in a way that seems wasteful, with no rule against it: what do you do?",
            "You have full freedom on a project and it fails: how do you tell the team, and what happens next?",
        ],
    ),
}


def ensure_defaults() -> None:
    """The default kits, values and soft skills, created where the database has none yet (a fresh
    schema without the migration's seed: tests, the demo). Flushes; the caller's unit commits."""
    from portal.feedback.models import Competency, CompetencyGroup, InterviewKit
    from portal.hiring.default_process import ensure_interview_kinds

    kinds = ensure_interview_kinds()
    have_kits = set(db.session.scalars(select(InterviewKit.kind_key)))
    have_areas = set(db.session.scalars(select(Competency.area).where(Competency.kind_key.is_(None))))
    have_kind_rows = set(db.session.scalars(select(Competency.kind_key).where(Competency.kind_key.is_not(None))))
    for area, rows in ((CompetencyGroup.VALUE, VALUES), (CompetencyGroup.SOFT_SKILL, SOFT_SKILLS)):
        if area.value not in have_areas:
            for order, (name, description, strong, weak) in enumerate(rows, start=1):
                db.session.add(
                    Competency(
                        area=area.value, order=order, name=name, description=description, strong=strong, weak=weak
                    )
                )
    for key, kit in KITS.items():
        if key not in kinds:
            continue
        if key not in have_kits:
            db.session.add(InterviewKit(kind_key=key, probe=kit["probe"], scenarios=list(kit["scenarios"])))
        if key not in have_kind_rows:
            for order, (name, description, strong, weak) in enumerate(kit["competencies"], start=1):
                db.session.add(
                    Competency(
                        area=CompetencyGroup.COMPETENCY.value,
                        kind_key=key,
                        order=order,
                        name=name,
                        description=description,
                        strong=strong,
                        weak=weak,
                    )
                )
    db.session.flush()
