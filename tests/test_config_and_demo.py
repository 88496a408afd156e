"""Start-up: configuration from the environment, and the demo data `make run` seeds."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal import config, create_app, demo
from portal.accounts import services as accounts
from portal.accounts.models import Role, User
from portal.extensions import db
from portal.hiring.models import Application


PRODUCTION = {
    "CANDOR_ENV": "production",
    "SECRET_KEY": "a-long-random-production-secret-key",
    "DATABASE_URL": "postgresql://candor@db/candor",
    "REDIS_URL": "redis://cache:6379/0",
    "MAIL_URL": "smtp://mail:587?starttls",
    "BASE_URL": "https://jobs.example.com",
}


def test_production_refuses_to_start_without_secret_key():
    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        create_app(env={"CANDOR_ENV": "production"})


def test_a_complete_production_configuration_is_accepted():
    loaded = config.load(env=PRODUCTION)
    assert loaded["CANDOR_ENV"] == "production" and loaded["SESSION_COOKIE_SECURE"]
    assert loaded["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"


@pytest.mark.parametrize(
    ("change", "named", "why"),
    [
        ({"DATABASE_URL": None}, "DATABASE_URL", "PostgreSQL"),
        ({"DATABASE_URL": "sqlite:////srv/candor.sqlite3"}, "DATABASE_URL", "PostgreSQL"),
        ({"REDIS_URL": None}, "REDIS_URL", "per process"),
        ({"MAIL_URL": None}, "MAIL_URL", "only written to the log"),
        ({"BASE_URL": None}, "BASE_URL", "https://"),
        ({"BASE_URL": "http://jobs.example.com"}, "BASE_URL", "https://"),
        ({"SECRET_KEY": None}, "SECRET_KEY", "signs sessions"),
    ],
)
def test_production_refuses_to_start_on_a_single_machine_setting(change, named, why):
    env = {key: value for key, value in {**PRODUCTION, **change}.items() if value is not None}
    with pytest.raises(config.ConfigError) as refused:
        create_app(env=env)
    message = str(refused.value)
    assert "CANDOR_ENV=production" in message and named in message and why in message
    assert message.count("\n- ") == 1  # only what is wrong


def test_production_names_every_problem_at_once():
    with pytest.raises(config.ConfigError) as refused:
        create_app(env={"CANDOR_ENV": "production"})
    for named in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "MAIL_URL", "BASE_URL"):
        assert named in str(refused.value)


def test_production_without_rate_limits_needs_no_redis():
    env = {key: value for key, value in PRODUCTION.items() if key != "REDIS_URL"}
    assert config.load(env={**env, "RATELIMIT_ENABLED": "false"})["CANDOR_ENV"] == "production"


def test_a_misspelt_candor_env_is_refused_instead_of_running_as_development():
    with pytest.raises(config.ConfigError, match="CANDOR_ENV"):
        config.load(env={**PRODUCTION, "CANDOR_ENV": "prod"})


def test_configuration_comes_from_the_environment(tmp_path):
    loaded = config.load(
        env={
            "SECRET_KEY": "s",
            "DATABASE_URL": "postgresql://u@db/candor",
            "MAIL_URL": "smtp://127.0.0.1:8025",
            "STORAGE_DIR": str(tmp_path),
            "BASE_URL": "https://jobs.example.com/",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "OIDC_ISSUER": "https://id.example.com",
            "OIDC_CLIENT_ID": "candor",
            "OIDC_CLIENT_SECRET": "x",
            "GITHUB_CLIENT_ID": "gh",
            "GOOGLE_CLIENT_ID": "g",
        }
    )
    assert loaded["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/candor"
    assert loaded["MAIL_URL"] == "smtp://127.0.0.1:8025" and loaded["STORAGE_DIR"] == str(tmp_path)
    assert loaded["BASE_URL"] == "https://jobs.example.com"
    assert loaded["SESSION_COOKIE_SECURE"] and loaded["REMEMBER_COOKIE_SECURE"]
    assert loaded["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert [p.name for p in loaded["OIDC_PROVIDERS"]] == ["oidc", "google", "github"]
    assert loaded["OIDC_PROVIDERS"][0].server_metadata_url == "https://id.example.com/.well-known/openid-configuration"


def test_development_defaults_are_safe_and_local():
    loaded = config.load(env={})
    assert (
        loaded["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///") and "instance" in loaded["SQLALCHEMY_DATABASE_URI"]
    )
    assert loaded["MAIL_URL"] == "" and loaded["RATELIMIT_STORAGE_URI"] == "memory://"
    assert loaded["SECRET_KEY"] and loaded["OIDC_PROVIDERS"] == []
    assert loaded["SESSION_COOKIE_HTTPONLY"] and loaded["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_demo_seed_has_every_role_and_every_stage_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "candor-demo-2026" in result.output and "recruiter@example.com" in result.output
    for person in db.session.scalars(select(User)):  # the demo password passes the portal's own check
        assert accounts.password_problem(demo.PASSWORD, person.email, person.name) is None, person.email
    staff = db.session.scalars(select(User).where(User.is_staff.is_(True))).all()
    assert {role for person in staff for role in person.roles} == {r.value for r in Role}
    applications = db.session.scalars(select(Application)).all()
    assert {a.stage.key for a in applications if a.is_active} >= {
        "applied",
        "recruiter_screen",
        "technical_screen",
        "onsite_1",
        "onsite_2",
        "decision",
    }
    assert {a.status for a in applications} == {"active", "hired", "rejected", "withdrawn"}
    # Outcomes: an offer waiting for its answer, feedback published (and a rejection's), a draft, and
    # stage ratings enough for one stage of the backend position to show and too few for another.
    from portal.feedback import stage_ratings
    from portal.feedback.outcome_models import Offer, StageFeedback

    assert [o.status for o in db.session.scalars(select(Offer))] == ["offered"]
    feedback = db.session.scalars(select(StageFeedback)).all()
    assert {f.status for f in feedback} == {"draft", "published"}
    assert any(f.stage.is_outcome for f in feedback) and any(
        not f.stage.is_outcome and f.is_published for f in feedback
    )
    backend = next(a.position for a in applications if a.candidate.email == "hired@example.com")
    shown = {s.stage_name: s.shown for s in stage_ratings.satisfaction(backend)}
    assert shown["Recruiter screen"] and not shown["Technical screen"]
    again = runner.invoke(args=["seed-demo"])
    assert "already present" in again.output
    assert len(db.session.scalars(select(Application)).all()) == len(applications)


def test_demo_candidates_are_asked_for_the_move_their_page_offers(app, client):
    """Casey (at the technical screen, no format chosen) has the move; Olu, whose first on-site round
    was held, is not asked to book it again: the team has the move."""
    from portal.hiring import candidate_read
    from tests.helpers import login

    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    casey = User.by_email("candidate@example.com")
    [casey_first, _] = sorted(
        db.session.scalars(select(Application).where(Application.candidate_id == casey.id)), key=lambda a: a.id
    )
    view = candidate_read.application_for(casey, casey_first.id)
    assert view.whose_move == "candidate" and view.due_at is None
    assert view.next_action == "Choose live or take-home for your technical screen."

    olu = User.by_email("onsite1@example.com")
    login(client, olu, password=demo.PASSWORD)
    [application] = db.session.scalars(select(Application).where(Application.candidate_id == olu.id))
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Your move:" not in page and "Choose a time for your on-site, round 1" not in page
    assert "You will hear from us by" in page
