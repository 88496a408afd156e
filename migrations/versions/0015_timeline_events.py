"""timeline events: the time an event is about (an interview's start, a take-home's deadline) and a
plain fact its text names, so bookings, the technical-screen format and take-home hand-ins reach the
candidate's timeline

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("stage_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("about_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("detail", sa.String(length=40), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("stage_events", schema=None) as batch_op:
        batch_op.drop_column("detail")
        batch_op.drop_column("about_at")
