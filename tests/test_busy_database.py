"""When every database connection is in use, the portal says it is busy (503), never "error" (500)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from portal.extensions import db
from tests.conftest import is_postgres


def test_a_request_that_finds_no_free_connection_gets_503_with_retry_after(make_app):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.2})
    with app.app_context():
        held = db.engine.connect()  # the only connection of the pool, busy elsewhere
        try:
            response = app.test_client().get("/positions")
        finally:
            held.close()
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        body = response.get_data(as_text=True)
        assert "busy" in body and "Traceback" not in body
        assert app.test_client().get("/positions").status_code == 200


@pytest.mark.skipif(not is_postgres(), reason="the idle check is for PostgreSQL's pooled connections")
def test_a_connection_the_server_closed_while_idle_is_replaced_before_a_request_uses_it(make_app, monkeypatch):
    import portal

    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0})
    with app.app_context():
        client = app.test_client()
        assert client.get("/positions").status_code == 200
        with db.engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        # The server ends the pooled connection (an idle timeout, a restart) while nobody uses it.
        killer = create_engine(db.engine.url, poolclass=NullPool)
        with killer.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        killer.dispose()
        monkeypatch.setattr(portal, "IDLE_BEFORE_PING_SECONDS", 0.0)
        assert client.get("/positions").status_code == 200
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid


@pytest.mark.skipif(not is_postgres(), reason="the idle check is for PostgreSQL's pooled connections")
def test_a_connection_back_in_the_pool_a_moment_ago_is_not_pinged_again(make_app, monkeypatch):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0})
    with app.app_context():
        client = app.test_client()
        assert client.get("/positions").status_code == 200
        pings = []
        original = db.engine.dialect.do_ping
        monkeypatch.setattr(db.engine.dialect, "do_ping", lambda conn: pings.append(1) or original(conn))
        for _ in range(5):
            assert client.get("/positions").status_code == 200
        assert pings == []
