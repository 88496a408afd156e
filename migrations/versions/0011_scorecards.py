"""scorecards and interview kits: competencies per interview kind (with the culture values and soft
skills every scorecard rates) and the kits as data, seeded here; scorecards, their ratings, and the
earlier versions of amended ones

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 19:00:08.359485

"""

from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feedback_competencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=16), nullable=False),
        sa.Column("kind_key", sa.String(length=40), nullable=True),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("strong", sa.Text(), nullable=False),
        sa.Column("weak", sa.Text(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "(area = 'competency') = (kind_key IS NOT NULL)", name=op.f("ck_feedback_competencies_kind_iff_competency")
        ),
        sa.CheckConstraint(
            "area IN ('competency', 'value', 'soft_skill')", name=op.f("ck_feedback_competencies_known_area")
        ),
        sa.ForeignKeyConstraint(
            ["kind_key"],
            ["interview_kinds.key"],
            name=op.f("fk_feedback_competencies_kind_key_interview_kinds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_competencies")),
    )
    with op.batch_alter_table("feedback_competencies", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_competencies_kind", ["kind_key", "order"], unique=False)

    op.create_table(
        "feedback_kits",
        sa.Column("kind_key", sa.String(length=40), nullable=False),
        sa.Column("probe", sa.Text(), nullable=False),
        sa.Column("scenarios", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["kind_key"],
            ["interview_kinds.key"],
            name=op.f("fk_feedback_kits_kind_key_interview_kinds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_feedback_kits_updated_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("kind_key", name=op.f("pk_feedback_kits")),
    )
    op.create_table(
        "feedback_scorecards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interview_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("interviewer_id", sa.Integer(), nullable=False),
        sa.Column("kind_key", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("keeper_test", sa.String(length=8), nullable=True),
        sa.Column("recommendation", sa.String(length=16), nullable=True),
        sa.Column("private_notes", sa.Text(), nullable=False),
        sa.Column("strengths", sa.Text(), nullable=False),
        sa.Column("growth_areas", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "keeper_test IS NULL OR keeper_test IN ('yes', 'no')",
            name=op.f("ck_feedback_scorecards_known_keeper_answer"),
        ),
        sa.CheckConstraint(
            "recommendation IS NULL OR recommendation IN ('strong_yes', 'yes', 'no', 'strong_no')",
            name=op.f("ck_feedback_scorecards_known_recommendation"),
        ),
        sa.CheckConstraint(
            "status = 'draft' OR (recommendation IS NOT NULL AND keeper_test IS NOT NULL AND submitted_at IS NOT NULL)",
            name=op.f("ck_feedback_scorecards_submitted_is_complete"),
        ),
        sa.CheckConstraint("status IN ('draft', 'submitted')", name=op.f("ck_feedback_scorecards_known_status")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_feedback_scorecards_version_positive")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_feedback_scorecards_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["interview_id"],
            ["interviews.id"],
            name=op.f("fk_feedback_scorecards_interview_id_interviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["interviewer_id"],
            ["users.id"],
            name=op.f("fk_feedback_scorecards_interviewer_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["kind_key"], ["interview_kinds.key"], name=op.f("fk_feedback_scorecards_kind_key_interview_kinds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_scorecards")),
        sa.UniqueConstraint("interview_id", "interviewer_id", name="uq_feedback_scorecards_interview_interviewer"),
    )
    with op.batch_alter_table("feedback_scorecards", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_scorecards_application", ["application_id", "status"], unique=False)
        batch_op.create_index("ix_feedback_scorecards_interviewer", ["interviewer_id"], unique=False)

    op.create_table(
        "feedback_ratings",
        sa.Column("scorecard_id", sa.Integer(), nullable=False),
        sa.Column("competency_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 4", name=op.f("ck_feedback_ratings_known_rating")),
        sa.ForeignKeyConstraint(
            ["competency_id"],
            ["feedback_competencies.id"],
            name=op.f("fk_feedback_ratings_competency_id_feedback_competencies"),
        ),
        sa.ForeignKeyConstraint(
            ["scorecard_id"],
            ["feedback_scorecards.id"],
            name=op.f("fk_feedback_ratings_scorecard_id_feedback_scorecards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scorecard_id", "competency_id", name=op.f("pk_feedback_ratings")),
    )
    op.create_table(
        "feedback_scorecard_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scorecard_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("amended_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("version >= 1", name=op.f("ck_feedback_scorecard_versions_version_positive")),
        sa.ForeignKeyConstraint(
            ["amended_by_id"],
            ["users.id"],
            name=op.f("fk_feedback_scorecard_versions_amended_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["scorecard_id"],
            ["feedback_scorecards.id"],
            name=op.f("fk_feedback_scorecard_versions_scorecard_id_feedback_scorecards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_scorecard_versions")),
        sa.UniqueConstraint("scorecard_id", "version", name="uq_feedback_scorecard_versions_version"),
    )
    with op.batch_alter_table("feedback_scorecard_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_scorecard_versions_scorecard_id"), ["scorecard_id"], unique=False)

    _seed()


def downgrade():
    with op.batch_alter_table("feedback_scorecard_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_scorecard_versions_scorecard_id"))

    op.drop_table("feedback_scorecard_versions")
    op.drop_table("feedback_ratings")
    with op.batch_alter_table("feedback_scorecards", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_scorecards_interviewer")
        batch_op.drop_index("ix_feedback_scorecards_application")

    op.drop_table("feedback_scorecards")
    op.drop_table("feedback_kits")
    with op.batch_alter_table("feedback_competencies", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_competencies_kind")

    op.drop_table("feedback_competencies")


# The default kits as they stood when this migration was written (a migration never imports the living
# code, which changes after it); admins edit the rows from then on.
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
KITS = {
    "recruiter_screen": {
        "probe": "Background and the story behind the CV; why this role and why now; how they like to work; practicalities (notice, location, salary range). Leave time for their questions.",
        "scenarios": [
            "Tell me about a project you are proud of: what was your part, and what would you do differently now?",
            "A manager gave you a goal but no plan: what did you do in the first two weeks?",
        ],
        "competencies": [
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
    },
    "live_technical": {
        "probe": "Pick one exercise and go deep rather than wide. Let the candidate drive; give hints when they are stuck and note how they use them.",
        "scenarios": [
            "Our app crashes under this input, here is the code (share the snippet): how do you diagnose it? What do you look at first, how do you reproduce it, and how do you make sure it never comes back?",
            "This endpoint got ten times slower after last week's release: how do you find out why?",
        ],
        "competencies": [
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
    },
    "coding": {
        "probe": "Working, tested code for a real-world problem. Watch how they break the problem down, how they test, and how they talk while they code. Correctness before cleverness.",
        "scenarios": [
            "Our app crashes under this input, here is the code (share the snippet): how do you diagnose it? What do you look at first, how do you reproduce it, and how do you make sure it never comes back?",
            "Here is a function that parses our partners' CSV feed and sometimes drops rows: fix it and prove it.",
            "Add rate limiting to this small API handler without breaking its callers.",
        ],
        "competencies": [
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
    },
    "whiteboarding": {
        "probe": "Reasoning out loud and in sketches about a real problem; no code needed. Look for structure, trade-offs named, and how they respond when you change a constraint.",
        "scenarios": [
            "Our traffic shows a pattern that suggests a breach (many sign-ins from new countries, a spike in data exports): how do you investigate, and how do you respond in the first hour and the first week?",
            "Sketch how a video gets from our encoders to a phone on a train with a poor connection.",
        ],
        "competencies": [
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
    },
    "data_structures": {
        "probe": "Choosing and combining data structures for a real task; complexity where it matters, not recitation.",
        "scenarios": [
            "We want to predict churn from our user data (sign-ups, viewing history, payments, support tickets): how would you approach it, with which models, and how would you know it works?",
            "We keep 'recently watched' for 200 million members: how do you store it so the home page loads fast?",
        ],
        "competencies": [
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
    },
    "system_design": {
        "probe": "A real system, end to end: requirements first, then the design, then what breaks at scale and how it is run. Push on one area in depth.",
        "scenarios": [
            "Our deployment is manual and error prone (a runbook of 30 steps, run by one person): how would you automate it, and how would you roll it out without stopping the team?",
            "Our traffic shows a pattern that suggests a breach (many sign-ins from new countries, a spike in data exports): how do you investigate, and how do you respond in the first hour and the first week?",
            "Design the service that tells a member which episode to resume, on any device, within a second.",
        ],
        "competencies": [
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
    },
    "hr_behavioural": {
        "probe": "Real situations from their past (ask for a specific example, then what they did, then what happened). Listen for 'I' and 'we' in the right places.",
        "scenarios": [
            "Tell me about a time you disagreed with your manager's decision. What did you do, and what happened?",
            "Tell me about a mistake of yours that reached users. How did you find out, and what did you change?",
        ],
        "competencies": [
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
    },
    "hiring_manager": {
        "probe": "The role, the team and how the candidate likes to work; what they need to do their best work; where they want to grow.",
        "scenarios": [
            "Your first month here: what would you want to know, and from whom?",
            "A project you led is late and the team is tired: what do you do this week?",
        ],
        "competencies": [
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
    },
    "engineering_manager": {
        "probe": "How they work with others and grow, seen by an engineering manager from another team.",
        "scenarios": [
            "Our deployment is manual and error prone (a runbook of 30 steps, run by one person): how would you automate it, and how would you roll it out without stopping the team?",
            "Another team's service keeps breaking yours, and they have other priorities: what do you do?",
        ],
        "competencies": [
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
    },
    "hr_culture": {
        "probe": "Freedom and responsibility, context not control, candour: how the candidate behaves in a culture with few rules and high expectations.",
        "scenarios": [
            "You notice a colleague spending in a way that seems wasteful, with no rule against it: what do you do?",
            "You have full freedom on a project and it fails: how do you tell the team, and what happens next?",
        ],
        "competencies": [
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
    },
}


def _seed():
    connection = op.get_bind()
    kinds = set(connection.execute(sa.text("SELECT key FROM interview_kinds")).scalars())
    competencies = sa.table(
        "feedback_competencies",
        sa.column("area", sa.String),
        sa.column("kind_key", sa.String),
        sa.column("order", sa.Integer),
        sa.column("name", sa.String),
        sa.column("description", sa.Text),
        sa.column("strong", sa.Text),
        sa.column("weak", sa.Text),
        sa.column("retired", sa.Boolean),
    )
    kits = sa.table(
        "feedback_kits",
        sa.column("kind_key", sa.String),
        sa.column("probe", sa.Text),
        sa.column("scenarios", sa.JSON),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    rows = []
    for area, items in (("value", VALUES), ("soft_skill", SOFT_SKILLS)):
        for order, (name, description, strong, weak) in enumerate(items, start=1):
            rows.append(
                dict(
                    area=area,
                    kind_key=None,
                    order=order,
                    name=name,
                    description=description,
                    strong=strong,
                    weak=weak,
                    retired=False,
                )
            )
    kit_rows = []
    now = datetime.now(timezone.utc)
    for key, kit in KITS.items():
        if key not in kinds:
            continue
        kit_rows.append(dict(kind_key=key, probe=kit["probe"], scenarios=list(kit["scenarios"]), updated_at=now))
        for order, (name, description, strong, weak) in enumerate(kit["competencies"], start=1):
            rows.append(
                dict(
                    area="competency",
                    kind_key=key,
                    order=order,
                    name=name,
                    description=description,
                    strong=strong,
                    weak=weak,
                    retired=False,
                )
            )
    op.bulk_insert(competencies, rows)
    if kit_rows:
        op.bulk_insert(kits, kit_rows)
