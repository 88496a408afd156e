"""staff calendars: when each was last read, whatever the outcome

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("scheduling_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_attempted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("scheduling_profiles", schema=None) as batch_op:
        batch_op.drop_column("calendar_attempted_at")
