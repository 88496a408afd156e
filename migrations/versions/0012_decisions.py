"""decisions: each on-site interviewer's vote (hire / no hire, with a reason) on an application

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 19:18:22.524999

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feedback_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("choice IN ('hire', 'no_hire')", name=op.f("ck_feedback_votes_known_choice")),
        sa.CheckConstraint("length(reason) > 0", name=op.f("ck_feedback_votes_reason_given")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_feedback_votes_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["voter_id"], ["users.id"], name=op.f("fk_feedback_votes_voter_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_votes")),
        sa.UniqueConstraint("application_id", "voter_id", name="uq_feedback_votes_application_voter"),
    )
    with op.batch_alter_table("feedback_votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_votes_application_id"), ["application_id"], unique=False)


def downgrade():
    with op.batch_alter_table("feedback_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_votes_application_id"))

    op.drop_table("feedback_votes")
