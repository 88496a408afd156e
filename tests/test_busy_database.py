"""When every database connection is in use, the portal says it is busy (503), never "error" (500)."""

from __future__ import annotations

from portal.extensions import db


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
