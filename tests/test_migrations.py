"""The Alembic history builds the same schema as the models, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import os
import re
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db


@pytest.fixture
def empty_database_url(tmp_path):
    raw = os.environ.get("TEST_DATABASE_URL")
    if not raw:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    url = make_url(raw.replace("postgresql://", "postgresql+psycopg://", 1))
    url = url.set(database=f"candor_migrations_{uuid.uuid4().hex[:8]}")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def migration_app(empty_database_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "STORAGE_DIR": str(tmp_path / "storage"),
        }
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _differences():
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_migrations_upgrade_an_empty_database_to_exactly_the_models(migration_app):
    upgrade()
    assert _differences() == []


# What the database must enforce after `upgrade`, written out by hand: autogenerate compares columns
# and tables but not CHECK constraints or the condition of a partial index, so losing one of these in
# a migration would go unnoticed without this list.
EXPECTED_CHECKS = {
    ("accommodation_requests", "ck_accommodation_requests_known_status"),
    ("accommodation_requests", "ck_accommodation_requests_sensible_extra_time"),
    ("applications", "ck_applications_known_status"),
    ("applications", "ck_applications_reapply_date_iff_rejected"),
    ("availability_windows", "ck_availability_windows_known_weekday"),
    ("availability_windows", "ck_availability_windows_starts_before_it_ends"),
    ("availability_windows", "ck_availability_windows_weekly_or_dated"),
    ("availability_windows", "ck_availability_windows_within_a_day"),
    ("busy_times", "ck_busy_times_starts_before_it_ends"),
    ("interview_kinds", "ck_interview_kinds_sensible_length"),
    ("interviews", "ck_interviews_known_status"),
    ("interviews", "ck_interviews_sequence_not_negative"),
    ("interviews", "ck_interviews_starts_before_it_ends"),
    ("one_time_tokens", "ck_one_time_tokens_known_purpose"),
    ("outbox_messages", "ck_outbox_messages_known_status"),
    ("planned_interviews", "ck_planned_interviews_known_format"),
    ("planned_interviews", "ck_planned_interviews_known_role"),
    ("planned_interviews", "ck_planned_interviews_sensible_length"),
    ("positions", "ck_positions_cooldown_between_6_and_12_months"),
    ("positions", "ck_positions_known_status"),
    ("scheduling_profiles", "ck_scheduling_profiles_known_calendar_kind"),
    ("scheduling_profiles", "ck_scheduling_profiles_sensible_daily_limit"),
    ("scheduling_profiles", "ck_scheduling_profiles_sensible_weekly_limit"),
    ("scheduling_profiles", "ck_scheduling_profiles_week_holds_a_day"),
    ("stage_progress", "ck_stage_progress_known_format"),
    ("stage_progress", "ck_stage_progress_known_waiting_on"),
    ("stage_progress", "ck_stage_progress_pause_not_negative"),
    ("stages", "ck_stages_known_kind"),
    ("stored_files", "ck_stored_files_not_empty"),
    ("stored_files", "ck_stored_files_sha256_hex"),
    ("stages", "ck_stages_sla_not_negative"),
    ("user_roles", "ck_user_roles_known_role"),
    # The take-home library, each position's offer, the attempt's clock, the versions handed in.
    ("takehome_assignments", "ck_takehome_assignments_file_limit_positive"),
    ("takehome_assignments", "ck_takehome_assignments_sensible_file_count"),
    ("takehome_assignments", "ck_takehome_assignments_sensible_start_window"),
    ("takehome_assignments", "ck_takehome_assignments_sensible_time_limit"),
    ("takehome_assignments", "ck_takehome_assignments_total_holds_one_file"),
    ("takehome_attempts", "ck_takehome_attempts_deadline_after_start"),
    ("takehome_attempts", "ck_takehome_attempts_deadline_iff_started"),
    ("takehome_attempts", "ck_takehome_attempts_extra_time_not_negative"),
    ("takehome_attempts", "ck_takehome_attempts_known_status"),
    ("takehome_attempts", "ck_takehome_attempts_running_started"),
    ("takehome_attempts", "ck_takehome_attempts_sensible_time_limit"),
    ("takehome_position_offers", "ck_takehome_position_offers_known_formats"),
    ("takehome_rubric_criteria", "ck_takehome_rubric_criteria_sensible_weight"),
    ("takehome_submissions", "ck_takehome_submissions_counts_not_negative"),
    ("takehome_submissions", "ck_takehome_submissions_version_positive"),
    ("takehome_time_requests", "ck_takehome_time_requests_known_kind"),
    ("takehome_time_requests", "ck_takehome_time_requests_known_status"),
    ("takehome_time_requests", "ck_takehome_time_requests_sensible_grant"),
    # Scorecards: competencies by area, complete submissions, ratings 1 to 4, versions counted from 1.
    ("feedback_competencies", "ck_feedback_competencies_known_area"),
    ("feedback_competencies", "ck_feedback_competencies_kind_iff_competency"),
    ("feedback_ratings", "ck_feedback_ratings_known_rating"),
    ("feedback_scorecard_versions", "ck_feedback_scorecard_versions_version_positive"),
    ("feedback_scorecards", "ck_feedback_scorecards_known_keeper_answer"),
    ("feedback_scorecards", "ck_feedback_scorecards_known_recommendation"),
    ("feedback_scorecards", "ck_feedback_scorecards_known_status"),
    ("feedback_scorecards", "ck_feedback_scorecards_submitted_is_complete"),
    ("feedback_scorecards", "ck_feedback_scorecards_version_positive"),
    # The decision: a vote is hire or no hire, with a reason.
    ("feedback_votes", "ck_feedback_votes_known_choice"),
    ("feedback_votes", "ck_feedback_votes_reason_given"),
    # Blind grading: known statuses and recommendations, complete submissions, scores 1 to 4.
    ("takehome_grades", "ck_takehome_grades_known_status"),
    ("takehome_grades", "ck_takehome_grades_known_recommendation"),
    ("takehome_grades", "ck_takehome_grades_submitted_is_complete"),
    ("takehome_grades", "ck_takehome_grades_score_in_range"),
    ("takehome_criterion_scores", "ck_takehome_criterion_scores_known_score"),
    ("takehome_criterion_scores", "ck_takehome_criterion_scores_sensible_weight"),
    # Outcomes: feedback published with its date, an offer answered once, stage ratings 1 to 5.
    ("feedback_published", "ck_feedback_published_known_status"),
    ("feedback_published", "ck_feedback_published_published_is_dated"),
    ("feedback_offers", "ck_feedback_offers_known_status"),
    ("feedback_offers", "ck_feedback_offers_answered_iff_not_offered"),
    ("feedback_offers", "ck_feedback_offers_role_title_given"),
    ("feedback_stage_ratings", "ck_feedback_stage_ratings_rating_1_to_5"),
}
EXPECTED_UNIQUE = {
    ("applications", ("cv_file_id",)),
    ("external_identities", ("issuer", "subject")),
    ("interviews", ("uid",)),
    ("one_time_tokens", ("token_hash",)),
    ("outbox_attachments", ("outbox_message_id", "position")),
    ("outbox_messages", ("message_id",)),
    ("planned_interviews", ("stage_id", "order")),
    ("process_templates", ("name",)),
    ("scheduling_profiles", ("feed_token",)),
    ("stage_progress", ("application_id", "stage_id")),
    ("stages", ("template_id", "key")),
    ("stages", ("template_id", "order")),
    ("stored_files", ("storage_key",)),
    ("users", ("email",)),
    ("takehome_rubric_criteria", ("assignment_id", "order")),
    ("takehome_submissions", ("attempt_id", "version")),
    ("feedback_scorecards", ("interview_id", "interviewer_id")),
    ("feedback_scorecard_versions", ("scorecard_id", "version")),
    ("feedback_votes", ("application_id", "voter_id")),
    ("takehome_grades", ("attempt_id", "grader_id")),
    ("takehome_criterion_scores", ("grade_id", "order")),
    # One feedback and one rating per application and stage; one offer per application.
    ("feedback_published", ("application_id", "stage_id")),
    ("feedback_offers", ("application_id",)),
    ("feedback_stage_ratings", ("application_id", "stage_id")),
}
# (table, index name, columns, unique, partial condition or None)
EXPECTED_INDEXES = {
    ("accommodation_requests", "ix_accommodation_requests_application_id", ("application_id",), False, None),
    ("applications", "ix_applications_candidate_id", ("candidate_id",), False, None),
    ("applications", "ix_applications_position_id", ("position_id",), False, None),
    (
        "applications",
        "ix_applications_position_status_stage",
        ("position_id", "status", "stage_id", "stage_entered_at", "id"),
        False,
        None,
    ),
    ("applications", "ix_applications_position_waiting", ("position_id", "stage_entered_at", "id"), False, None),
    ("applications", "ix_applications_status", ("status",), False, None),
    ("applications", "uq_applications_one_active", ("candidate_id", "position_id"), True, "status = 'active'"),
    ("audit_log", "ix_audit_log_action", ("action",), False, None),
    ("audit_log", "ix_audit_log_actor_id", ("actor_id",), False, None),
    ("audit_log", "ix_audit_log_at", ("at",), False, None),
    ("audit_log", "ix_audit_log_object", ("object_type", "object_id"), False, None),
    ("availability_windows", "ix_availability_windows_user_id", ("user_id",), False, None),
    ("busy_times", "ix_busy_times_user_id", ("user_id",), False, None),
    ("external_identities", "ix_external_identities_user_id", ("user_id",), False, None),
    ("interview_pool", "ix_interview_pool_user_id", ("user_id",), False, None),
    ("interviews", "ix_interviews_application_id", ("application_id",), False, None),
    ("interviews", "ix_interviews_candidate_starts", ("candidate_id", "starts_at"), False, None),
    ("interviews", "ix_interviews_group_id", ("group_id",), False, None),
    ("interviews", "ix_interviews_interviewer_starts", ("interviewer_id", "starts_at"), False, None),
    ("one_time_tokens", "ix_one_time_tokens_user_id", ("user_id",), False, None),
    ("outbox_messages", "ix_outbox_messages_due", ("status", "next_attempt_at"), False, None),
    ("panel_members", "ix_panel_members_user_id", ("user_id",), False, None),
    ("planned_interviews", "ix_planned_interviews_stage_id", ("stage_id",), False, None),
    ("positions", "ix_positions_status", ("status",), False, None),
    ("sign_in_failures", "ix_sign_in_failures_account", ("account_key", "at"), False, None),
    ("sign_in_failures", "ix_sign_in_failures_address", ("address", "at"), False, None),
    ("sign_in_failures", "ix_sign_in_failures_at", ("at",), False, None),
    ("stage_events", "ix_stage_events_application_id", ("application_id",), False, None),
    ("stored_files", "ix_stored_files_owner", ("owner_type", "owner_id"), False, None),
    ("takehome_attempts", "ix_takehome_attempts_application_id", ("application_id",), False, None),
    # One take-home open per application and stage; cancelled ones stay as history.
    (
        "takehome_attempts",
        "uq_takehome_attempts_one_open",
        ("application_id", "stage_id"),
        True,
        "status <> 'cancelled'",
    ),
    ("takehome_rubric_criteria", "ix_takehome_rubric_criteria_assignment_id", ("assignment_id",), False, None),
    ("takehome_submissions", "ix_takehome_submissions_attempt_id", ("attempt_id",), False, None),
    ("takehome_time_requests", "ix_takehome_time_requests_attempt_id", ("attempt_id",), False, None),
    # One request for more time open per take-home.
    ("takehome_time_requests", "uq_takehome_time_requests_one_pending", ("attempt_id",), True, "status = 'pending'"),
    ("feedback_competencies", "ix_feedback_competencies_kind", ("kind_key", "order"), False, None),
    ("feedback_scorecards", "ix_feedback_scorecards_application", ("application_id", "status"), False, None),
    ("feedback_scorecards", "ix_feedback_scorecards_interviewer", ("interviewer_id",), False, None),
    ("feedback_votes", "ix_feedback_votes_application_id", ("application_id",), False, None),
    # A take-home's code names one take-home; a grader's list reads their grades by status.
    ("takehome_attempts", "uq_takehome_attempts_code", ("code",), True, None),
    ("takehome_grades", "ix_takehome_grades_attempt_id", ("attempt_id",), False, None),
    ("takehome_grades", "ix_takehome_grades_grader", ("grader_id", "status"), False, None),
    ("takehome_criterion_scores", "ix_takehome_criterion_scores_grade_id", ("grade_id",), False, None),
    ("feedback_stage_ratings", "ix_feedback_stage_ratings_position_stage", ("position_id", "stage_id"), False, None),
    (
        "feedback_scorecard_versions",
        "ix_feedback_scorecard_versions_scorecard_id",
        ("scorecard_id",),
        False,
        None,
    ),
}


def _partial_condition(index: dict) -> str | None:
    options = index.get("dialect_options", {})
    raw = options.get("sqlite_where")
    if raw is None:
        raw = options.get("postgresql_where")
    if raw is None:
        return None
    # PostgreSQL gives the condition back as "((status)::text = 'active'::text)".
    text_ = re.sub(r"::\w+", "", str(raw))
    return re.sub(r"[()]", "", text_).strip()


def _enforced() -> tuple[set, set, set]:
    inspector = inspect(db.engine)
    checks, uniques, indexes = set(), set(), set()
    for table in inspector.get_table_names():
        checks |= {(table, c["name"]) for c in inspector.get_check_constraints(table)}
        uniques |= {(table, tuple(u["column_names"])) for u in inspector.get_unique_constraints(table)}
        unique_names = {u["name"] for u in inspector.get_unique_constraints(table)}
        for index in inspector.get_indexes(table):
            if index["name"] in unique_names or index.get("duplicates_constraint"):
                continue  # PostgreSQL lists a unique constraint's own index too
            indexes.add(
                (table, index["name"], tuple(index["column_names"]), bool(index["unique"]), _partial_condition(index))
            )
    return checks, uniques, indexes


def test_upgrade_creates_every_check_constraint_unique_constraint_and_index(migration_app):
    upgrade()
    checks, uniques, indexes = _enforced()
    assert checks == EXPECTED_CHECKS
    assert uniques == EXPECTED_UNIQUE
    assert indexes == EXPECTED_INDEXES


def test_upgrade_makes_postgresql_refuse_overlapping_interviews(migration_app):
    upgrade()
    if db.engine.dialect.name != "postgresql":
        pytest.skip("exclusion constraints are PostgreSQL's (SQLite serialises writers)")
    with db.engine.connect() as conn:
        found = conn.execute(
            text("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'x' ORDER BY conname")
        ).all()
    assert [name for name, _ in found] == ["candidate_never_double_booked", "interviewer_never_double_booked"]
    for _, definition in found:
        assert "tstzrange(starts_at, ends_at) WITH &&" in definition
        assert "cancelled" in definition


def test_the_check_list_would_notice_a_lost_constraint(migration_app):
    upgrade()
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE stages DROP CONSTRAINT ck_stages_known_kind"))
            conn.execute(text("DROP INDEX uq_applications_one_active"))
            conn.execute(
                text("CREATE UNIQUE INDEX uq_applications_one_active ON applications (candidate_id, position_id)")
            )
        else:
            conn.execute(text("DROP INDEX uq_applications_one_active"))
            conn.execute(
                text("CREATE UNIQUE INDEX uq_applications_one_active ON applications (candidate_id, position_id)")
            )
    checks, _, indexes = _enforced()
    if db.engine.dialect.name == "postgresql":
        assert ("stages", "ck_stages_known_kind") not in checks
    assert ("applications", "uq_applications_one_active", ("candidate_id", "position_id"), True, None) in indexes
    assert indexes != EXPECTED_INDEXES


def test_migrations_downgrade_to_empty_and_upgrade_again(migration_app):
    upgrade()
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()
    assert "applications" in inspect(db.engine).get_table_names()


def test_model_change_without_migration_is_detected(migration_app):
    upgrade()
    from sqlalchemy import Column, Integer, Table

    extra = Table("not_migrated", db.metadata, Column("id", Integer, primary_key=True))
    try:
        assert any(diff[0] == "add_table" for diff in _differences())
    finally:
        db.metadata.remove(extra)
