"""feedback outcomes: feedback published to the candidate per stage, the offer and its answer, and the
candidate's anonymous rating of each stage

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 02:51:43.482232

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feedback_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("role_title", sa.String(length=160), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("made_by_id", sa.Integer(), nullable=True),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status = 'offered') = (answered_at IS NULL)", name=op.f("ck_feedback_offers_answered_iff_not_offered")
        ),
        sa.CheckConstraint(
            "status IN ('offered', 'accepted', 'declined')", name=op.f("ck_feedback_offers_known_status")
        ),
        sa.CheckConstraint("length(role_title) > 0", name=op.f("ck_feedback_offers_role_title_given")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_feedback_offers_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["made_by_id"], ["users.id"], name=op.f("fk_feedback_offers_made_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_offers")),
        sa.UniqueConstraint("application_id", name=op.f("uq_feedback_offers_application_id")),
    )
    op.create_table(
        "feedback_published",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status = 'published') = (published_at IS NOT NULL)", name=op.f("ck_feedback_published_published_is_dated")
        ),
        sa.CheckConstraint("status IN ('draft', 'published')", name=op.f("ck_feedback_published_known_status")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_feedback_published_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_feedback_published_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["stage_id"], ["stages.id"], name=op.f("fk_feedback_published_stage_id_stages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_published")),
        sa.UniqueConstraint("application_id", "stage_id", name="uq_feedback_published_application_stage"),
    )
    op.create_table(
        "feedback_stage_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_feedback_stage_ratings_rating_1_to_5")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_feedback_stage_ratings_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["position_id"],
            ["positions.id"],
            name=op.f("fk_feedback_stage_ratings_position_id_positions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["stage_id"], ["stages.id"], name=op.f("fk_feedback_stage_ratings_stage_id_stages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_stage_ratings")),
        sa.UniqueConstraint("application_id", "stage_id", name="uq_feedback_stage_ratings_application_stage"),
    )
    with op.batch_alter_table("feedback_stage_ratings", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_stage_ratings_position_stage", ["position_id", "stage_id"], unique=False)


def downgrade():
    with op.batch_alter_table("feedback_stage_ratings", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_stage_ratings_position_stage")

    op.drop_table("feedback_stage_ratings")
    op.drop_table("feedback_published")
    op.drop_table("feedback_offers")
