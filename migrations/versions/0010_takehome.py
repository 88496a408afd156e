"""take-home assignments: the library with rubrics, what each position offers at its technical
screen, each application's attempt and clock, and the versions handed in

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 18:33:34.882032

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "takehome_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("brief", sa.Text(), nullable=False),
        sa.Column("allowed_types", sa.JSON(), nullable=False),
        sa.Column("max_file_bytes", sa.BigInteger(), nullable=False),
        sa.Column("max_total_bytes", sa.BigInteger(), nullable=False),
        sa.Column("max_files", sa.Integer(), nullable=False),
        sa.Column("time_limit_hours", sa.Integer(), nullable=False),
        sa.Column("start_within_days", sa.Integer(), nullable=False),
        sa.Column("late_submissions_allowed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("max_file_bytes > 0", name=op.f("ck_takehome_assignments_file_limit_positive")),
        sa.CheckConstraint("max_files BETWEEN 1 AND 50", name=op.f("ck_takehome_assignments_sensible_file_count")),
        sa.CheckConstraint(
            "max_total_bytes >= max_file_bytes", name=op.f("ck_takehome_assignments_total_holds_one_file")
        ),
        sa.CheckConstraint(
            "start_within_days BETWEEN 1 AND 60", name=op.f("ck_takehome_assignments_sensible_start_window")
        ),
        sa.CheckConstraint(
            "time_limit_hours BETWEEN 1 AND 336", name=op.f("ck_takehome_assignments_sensible_time_limit")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_takehome_assignments_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_takehome_assignments")),
    )
    op.create_table(
        "takehome_position_offers",
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.Column("formats", sa.String(length=16), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "formats IN ('both', 'live', 'take_home')", name=op.f("ck_takehome_position_offers_known_formats")
        ),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["takehome_assignments.id"],
            name=op.f("fk_takehome_position_offers_assignment_id_takehome_assignments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["position_id"],
            ["positions.id"],
            name=op.f("fk_takehome_position_offers_position_id_positions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("position_id", name=op.f("pk_takehome_position_offers")),
    )
    op.create_table(
        "takehome_rubric_criteria",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.CheckConstraint("weight BETWEEN 1 AND 100", name=op.f("ck_takehome_rubric_criteria_sensible_weight")),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["takehome_assignments.id"],
            name=op.f("fk_takehome_rubric_criteria_assignment_id_takehome_assignments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_takehome_rubric_criteria")),
        sa.UniqueConstraint("assignment_id", "order", name="uq_takehome_rubric_order"),
    )
    with op.batch_alter_table("takehome_rubric_criteria", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_takehome_rubric_criteria_assignment_id"), ["assignment_id"], unique=False)

    op.create_table(
        "takehome_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("time_limit_minutes", sa.Integer(), nullable=False),
        sa.Column("start_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("extension_minutes", sa.Integer(), nullable=False),
        sa.Column("accommodation_minutes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('not_started', 'in_progress', 'submitted', 'cancelled')",
            name=op.f("ck_takehome_attempts_known_status"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('in_progress', 'submitted') OR started_at IS NOT NULL",
            name=op.f("ck_takehome_attempts_running_started"),
        ),
        sa.CheckConstraint(
            "(started_at IS NULL) = (deadline IS NULL)", name=op.f("ck_takehome_attempts_deadline_iff_started")
        ),
        sa.CheckConstraint(
            "deadline IS NULL OR deadline > started_at", name=op.f("ck_takehome_attempts_deadline_after_start")
        ),
        sa.CheckConstraint(
            "extension_minutes >= 0 AND accommodation_minutes >= 0",
            name=op.f("ck_takehome_attempts_extra_time_not_negative"),
        ),
        sa.CheckConstraint(
            "time_limit_minutes BETWEEN 60 AND 20160", name=op.f("ck_takehome_attempts_sensible_time_limit")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_takehome_attempts_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["takehome_assignments.id"],
            name=op.f("fk_takehome_attempts_assignment_id_takehome_assignments"),
        ),
        sa.ForeignKeyConstraint(["stage_id"], ["stages.id"], name=op.f("fk_takehome_attempts_stage_id_stages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_takehome_attempts")),
    )
    with op.batch_alter_table("takehome_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_takehome_attempts_application_id"), ["application_id"], unique=False)
        batch_op.create_index(
            "uq_takehome_attempts_one_open",
            ["application_id", "stage_id"],
            unique=True,
            sqlite_where=sa.text("status <> 'cancelled'"),
            postgresql_where=sa.text("status <> 'cancelled'"),
        )

    op.create_table(
        "takehome_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("repository_url", sa.String(length=500), nullable=True),
        sa.Column("file_count", sa.Integer(), nullable=False),
        sa.Column("total_bytes", sa.BigInteger(), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "file_count >= 0 AND total_bytes >= 0", name=op.f("ck_takehome_submissions_counts_not_negative")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_takehome_submissions_version_positive")),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["takehome_attempts.id"],
            name=op.f("fk_takehome_submissions_attempt_id_takehome_attempts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["users.id"],
            name=op.f("fk_takehome_submissions_submitted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_takehome_submissions")),
        sa.UniqueConstraint("attempt_id", "version", name="uq_takehome_submissions_version"),
    )
    with op.batch_alter_table("takehome_submissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_takehome_submissions_attempt_id"), ["attempt_id"], unique=False)
    op.create_table(
        "takehome_time_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("granted_minutes", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "granted_minutes BETWEEN 0 AND 10080", name=op.f("ck_takehome_time_requests_sensible_grant")
        ),
        sa.CheckConstraint("kind IN ('accommodation', 'extension')", name=op.f("ck_takehome_time_requests_known_kind")),
        sa.CheckConstraint(
            "status IN ('pending', 'granted', 'declined')", name=op.f("ck_takehome_time_requests_known_status")
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["users.id"],
            name=op.f("fk_takehome_time_requests_answered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["takehome_attempts.id"],
            name=op.f("fk_takehome_time_requests_attempt_id_takehome_attempts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_takehome_time_requests")),
    )
    with op.batch_alter_table("takehome_time_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_takehome_time_requests_attempt_id"), ["attempt_id"], unique=False)
        batch_op.create_index(
            "uq_takehome_time_requests_one_pending",
            ["attempt_id"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )


def downgrade():
    with op.batch_alter_table("takehome_time_requests", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_takehome_time_requests_one_pending",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index(batch_op.f("ix_takehome_time_requests_attempt_id"))

    op.drop_table("takehome_time_requests")
    with op.batch_alter_table("takehome_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_takehome_submissions_attempt_id"))

    op.drop_table("takehome_submissions")
    with op.batch_alter_table("takehome_attempts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_takehome_attempts_one_open",
            sqlite_where=sa.text("status <> 'cancelled'"),
            postgresql_where=sa.text("status <> 'cancelled'"),
        )
        batch_op.drop_index(batch_op.f("ix_takehome_attempts_application_id"))

    op.drop_table("takehome_attempts")
    with op.batch_alter_table("takehome_rubric_criteria", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_takehome_rubric_criteria_assignment_id"))

    op.drop_table("takehome_rubric_criteria")
    op.drop_table("takehome_position_offers")
    op.drop_table("takehome_assignments")
