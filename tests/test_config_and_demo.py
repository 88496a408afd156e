"""Start-up: configuration from the environment, and the demo data `make run` seeds."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal import config, create_app
from portal.accounts.models import Role, User
from portal.extensions import db
from portal.hiring.models import Application


def test_production_refuses_to_start_without_secret_key():
    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        create_app(env={"CANDOR_ENV": "production"})


def test_configuration_comes_from_the_environment(tmp_path):
    loaded = config.load(env={
        "SECRET_KEY": "s", "DATABASE_URL": "postgresql://u@db/candor", "MAIL_URL": "smtp://127.0.0.1:8025",
        "STORAGE_DIR": str(tmp_path), "BASE_URL": "https://jobs.example.com/", "REDIS_URL": "redis://127.0.0.1:6379/0",
        "OIDC_ISSUER": "https://id.example.com", "OIDC_CLIENT_ID": "candor", "OIDC_CLIENT_SECRET": "x",
        "GITHUB_CLIENT_ID": "gh", "GOOGLE_CLIENT_ID": "g",
    })
    assert loaded["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/candor"
    assert loaded["MAIL_URL"] == "smtp://127.0.0.1:8025" and loaded["STORAGE_DIR"] == str(tmp_path)
    assert loaded["BASE_URL"] == "https://jobs.example.com"
    assert loaded["SESSION_COOKIE_SECURE"] and loaded["REMEMBER_COOKIE_SECURE"]
    assert loaded["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert [p.name for p in loaded["OIDC_PROVIDERS"]] == ["oidc", "google", "github"]
    assert loaded["OIDC_PROVIDERS"][0].server_metadata_url == "https://id.example.com/.well-known/openid-configuration"


def test_development_defaults_are_safe_and_local():
    loaded = config.load(env={})
    assert loaded["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///") and "instance" in loaded["SQLALCHEMY_DATABASE_URI"]
    assert loaded["MAIL_URL"] == "" and loaded["RATELIMIT_STORAGE_URI"] == "memory://"
    assert loaded["SECRET_KEY"] and loaded["OIDC_PROVIDERS"] == []
    assert loaded["SESSION_COOKIE_HTTPONLY"] and loaded["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_demo_seed_has_every_role_and_every_stage_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "candor-demo-2026" in result.output and "recruiter@example.com" in result.output
    staff = db.session.scalars(select(User).where(User.is_staff.is_(True))).all()
    assert {role for person in staff for role in person.roles} == {r.value for r in Role}
    applications = db.session.scalars(select(Application)).all()
    assert {a.stage.key for a in applications if a.is_active} >= {
        "applied", "recruiter_screen", "technical_screen", "onsite_1", "onsite_2", "decision"}
    assert {a.status for a in applications} == {"active", "hired", "rejected", "withdrawn"}
    again = runner.invoke(args=["seed-demo"])
    assert "already present" in again.output
    assert len(db.session.scalars(select(Application)).all()) == len(applications)
