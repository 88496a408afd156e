"""grading: blind grading of take-homes (a random code per take-home, each grader's grade and scores)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 03:20:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("takehome_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=12), nullable=True))
        batch_op.create_index("uq_takehome_attempts_code", ["code"], unique=True)

    op.create_table(
        "takehome_grades",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("grader_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("recommendation", sa.String(length=16), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("weighted_score", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('assigned', 'submitted')", name=op.f("ck_takehome_grades_known_status")),
        sa.CheckConstraint(
            "recommendation IS NULL OR recommendation IN ('strong_yes', 'yes', 'no', 'strong_no')",
            name=op.f("ck_takehome_grades_known_recommendation"),
        ),
        sa.CheckConstraint(
            "status = 'assigned' OR (recommendation IS NOT NULL AND submitted_at IS NOT NULL "
            "AND submission_id IS NOT NULL AND weighted_score IS NOT NULL)",
            name=op.f("ck_takehome_grades_submitted_is_complete"),
        ),
        sa.CheckConstraint(
            "weighted_score IS NULL OR weighted_score BETWEEN 100 AND 400",
            name=op.f("ck_takehome_grades_score_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["takehome_attempts.id"],
            name=op.f("fk_takehome_grades_attempt_id_takehome_attempts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["grader_id"], ["users.id"], name=op.f("fk_takehome_grades_grader_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"], ["users.id"], name=op.f("fk_takehome_grades_assigned_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["takehome_submissions.id"],
            name=op.f("fk_takehome_grades_submission_id_takehome_submissions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_takehome_grades")),
        sa.UniqueConstraint("attempt_id", "grader_id", name="uq_takehome_grades_attempt_grader"),
    )
    with op.batch_alter_table("takehome_grades", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_takehome_grades_attempt_id"), ["attempt_id"], unique=False)
        batch_op.create_index("ix_takehome_grades_grader", ["grader_id", "status"], unique=False)

    op.create_table(
        "takehome_criterion_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grade_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=True),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 4", name=op.f("ck_takehome_criterion_scores_known_score")),
        sa.CheckConstraint("weight BETWEEN 1 AND 100", name=op.f("ck_takehome_criterion_scores_sensible_weight")),
        sa.ForeignKeyConstraint(
            ["grade_id"],
            ["takehome_grades.id"],
            name=op.f("fk_takehome_criterion_scores_grade_id_takehome_grades"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["takehome_rubric_criteria.id"],
            name=op.f("fk_takehome_criterion_scores_criterion_id_takehome_rubric_criteria"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_takehome_criterion_scores")),
        sa.UniqueConstraint("grade_id", "order", name="uq_takehome_criterion_scores_order"),
    )
    with op.batch_alter_table("takehome_criterion_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_takehome_criterion_scores_grade_id"), ["grade_id"], unique=False)


def downgrade():
    with op.batch_alter_table("takehome_criterion_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_takehome_criterion_scores_grade_id"))
    op.drop_table("takehome_criterion_scores")
    with op.batch_alter_table("takehome_grades", schema=None) as batch_op:
        batch_op.drop_index("ix_takehome_grades_grader")
        batch_op.drop_index(batch_op.f("ix_takehome_grades_attempt_id"))
    op.drop_table("takehome_grades")
    with op.batch_alter_table("takehome_attempts", schema=None) as batch_op:
        batch_op.drop_index("uq_takehome_attempts_code")
        batch_op.drop_column("code")
