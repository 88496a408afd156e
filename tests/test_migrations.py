"""The Alembic history builds the same schema as the models, on SQLite and PostgreSQL alike."""
from __future__ import annotations

import os
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
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database_url,
                      "STORAGE_DIR": str(tmp_path / "storage")})
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
