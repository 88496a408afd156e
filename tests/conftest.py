"""Test set-up: the app factory on a fresh database per test, a CSRF-aware client, and factories.

SQLite by default; PostgreSQL when TEST_DATABASE_URL is set (the database named there is
created for the run and dropped after it).
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db
from tests.helpers import CSRFClient, Factory, app_config, wipe_database


def _postgres_url() -> str | None:
    raw = os.environ.get("TEST_DATABASE_URL", "")
    if not raw:
        return None
    url = make_url(raw.replace("postgresql://", "postgresql+psycopg://", 1))
    # One database per test process, so parallel runs on one server do not meet.
    return url.set(database=f"{url.database or 'candor_test'}_{os.getpid()}").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    pg = _postgres_url()
    if pg is None:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    url = make_url(pg)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    yield pg
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def is_postgres() -> bool:
    return bool(os.environ.get("TEST_DATABASE_URL"))


@pytest.fixture(scope="session")
def _schema_app(database_url, tmp_path_factory):
    app = create_app(app_config(database_url, tmp_path_factory.mktemp("storage")))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def make_app(_schema_app, database_url, tmp_path):
    """Build an app on the test database with extra config (the schema is shared and wiped per test)."""
    created = []

    def factory(**overrides):
        config = app_config(database_url, tmp_path / "storage")
        config.update(overrides)
        app = create_app(config)
        app.test_client_class = CSRFClient
        created.append(app)
        return app

    yield factory
    for app in created:
        with app.app_context():
            db.session.remove()
            # Each app has its own pool: closed now, not whenever the app is garbage collected, so a
            # run on a shared PostgreSQL server holds a handful of connections instead of dozens.
            db.engine.dispose()
    wipe_database(_schema_app)


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app) -> CSRFClient:
    return app.test_client()


@pytest.fixture
def factory(app):
    return Factory()
