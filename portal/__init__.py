"""Candor: the candidate self-service portal. create_app() builds the Flask application."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from portal import config as config_module
from portal import unit_of_work

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None, env: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(config_module.INSTANCE_DIR),
    )
    app.config.from_mapping(config_module.load(env, overrides))
    logging.basicConfig(level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic announces each of its plugins at INFO on every `flask` command: noise, not news.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # The CalDAV client logs whole responses and tracebacks at INFO (and DEBUG): a server's error page or
    # an event's text does not belong in the portal's log; its own failures reach us as exceptions.
    logging.getLogger("caldav").setLevel(logging.WARNING)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if app.config["TRUSTED_PROXY_HOPS"]:
        # Behind gunicorn's proxy: rate limits and audit entries need the client's address, not the proxy's.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    _init_extensions(app)
    _init_capabilities(app)
    unit_of_work.init_app(app)
    _register_blueprints(app)
    _register_security(app)

    from portal import cli, errorpages, navigation, templating

    errorpages.register(app)
    templating.register(app)
    navigation.register(app)
    cli.register(app)
    return app


def _init_extensions(app: Flask) -> None:
    from portal import models  # noqa: F401  (every model, for metadata and migrations)
    from portal.accounts import oidc
    from portal.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _tune_sqlite(app)
    else:
        _ping_idle_connections(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    # The request's size cap is set per route before anything reads the body (the CSRF check does).
    from portal.files import cap_request

    app.before_request(cap_request)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    oidc.init_app(app)


def _init_capabilities(app: Flask) -> None:
    """Each capability registers its process guards and effects once, here, in this order."""
    from portal import feedback, scheduling, takehome
    from portal.hiring import process

    process.init_app(app)
    scheduling.init_app(app)
    takehome.init_app(app)
    feedback.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from werkzeug.routing import IntegerConverter

    class DatabaseIdConverter(IntegerConverter):
        """<int:...> in a URL matches ids a database column can hold; a larger number is a 404."""

        def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
            super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    app.url_map.converters["int"] = DatabaseIdConverter
    from portal.accounts.views import bp as accounts_bp
    from portal.accounts.admin_views import bp as admin_bp
    from portal.audit.views import bp as audit_bp
    from portal.hiring.candidate_views import bp as candidate_bp
    from portal.hiring.staff_views import bp as staff_bp
    from portal.scheduling.views import bp as scheduling_bp
    from portal.takehome.views import bp as takehome_bp
    from portal.feedback.views import bp as feedback_bp

    blueprints = (accounts_bp, admin_bp, audit_bp, candidate_bp, staff_bp, scheduling_bp, takehome_bp, feedback_bp)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)


def _register_security(app: Flask) -> None:
    from portal.security import policy, web

    # Static files are public; every other endpoint declares its own policy.
    app.view_functions["static"] = policy.public(app.view_functions["static"])
    app.before_request(web.refuse_nul_in_path)
    app.before_request(policy.enforce)
    app.after_request(web.set_security_headers)
    policy.register_jinja_tests(app)


# A pooled connection used this recently is taken as alive; an older one is pinged before use.
IDLE_BEFORE_PING_SECONDS = 10.0


def _ping_idle_connections(app: Flask) -> None:
    """Ping a pooled connection before use only when it sat idle, not before every request.

    pool_pre_ping costs one more round trip on every request; under load a connection comes back
    to the pool within milliseconds, and one that a server restart broke since then fails its
    request the way a restart during the request would (SQLAlchemy then drops the whole pool).
    A connection idle for longer (the server may have closed it meanwhile) is checked first, and
    replaced if dead, so the first request after a quiet spell never meets a stale connection.
    """
    import time

    from sqlalchemy import event, exc

    from portal.extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        returned = record.info.get("candor.returned_at")
        if returned is not None and time.monotonic() - returned < IDLE_BEFORE_PING_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001  any failure means: not usable
            raise exc.DisconnectionError("the pooled connection is gone") from error
        if not alive:
            raise exc.DisconnectionError("the pooled connection is gone")

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _mark_fresh(_dbapi_connection, record):
        if record is not None:
            record.info["candor.returned_at"] = time.monotonic()


def _tune_sqlite(app: Flask) -> None:
    """WAL lets the web app read while the outbox worker writes; foreign keys are off by default."""
    from sqlalchemy import event

    from portal.extensions import db

    with app.app_context():

        @event.listens_for(db.engine, "connect")
        def _on_connect(connection, _record):
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if not app.config["SQLALCHEMY_DATABASE_URI"].endswith(":memory:"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
