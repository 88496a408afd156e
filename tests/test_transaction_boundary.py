"""One transaction boundary: services nest, commit once at the outermost level, roll back everything."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.unit_of_work import TransactionDoomed, after_commit, on_rollback, transaction, transactional

PORTAL = Path(__file__).resolve().parent.parent / "portal"
# The unit of work commits every change; the outbox worker commits its own leases and outcomes.
ALLOWED_COMMITS = {"unit_of_work.py", "notifications/worker.py"}


def test_only_the_boundary_and_the_outbox_worker_commit():
    offenders = []
    for path in PORTAL.rglob("*.py"):
        relative = path.relative_to(PORTAL).as_posix()
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if re.search(r"session\.commit\(|\.commit\(\)", line) and relative not in ALLOWED_COMMITS:
                offenders.append(f"portal/{relative}:{number}: {line.strip()}")
    assert not offenders, "commits outside the transaction boundary:\n" + "\n".join(offenders)


def _audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


def _write(action: str) -> None:
    db.session.add(AuditEntry(action=action, object_type="test"))
    db.session.flush()


@transactional
def _inner_service(action: str) -> None:
    _write(action)


@transactional
def _outer_service(fail: bool) -> None:
    _write("outer")
    _inner_service("inner")
    if fail:
        raise ValueError("boom")


def test_a_service_calling_a_service_commits_once_at_the_outermost_level(app):
    commits = []
    from sqlalchemy import event

    event.listen(db.session(), "after_commit", lambda s: commits.append(1))
    _outer_service(fail=False)
    assert commits == [1]
    assert _audit_count() == 2


def test_an_error_in_the_outer_service_rolls_back_the_inner_services_work(app):
    with pytest.raises(ValueError):
        _outer_service(fail=True)
    db.session.remove()
    assert _audit_count() == 0


def test_an_inner_failure_that_is_swallowed_still_rolls_everything_back(app):
    with pytest.raises(TransactionDoomed):
        with transaction():
            _write("outer")
            try:
                with transaction():
                    _write("inner")
                    raise ValueError("inner failure")
            except ValueError:
                pass
    db.session.remove()
    assert _audit_count() == 0


def test_rollback_hooks_run_on_failure_and_commit_hooks_on_success(app):
    ran = []
    with pytest.raises(RuntimeError):
        with transaction():
            on_rollback(lambda: ran.append("undo"))
            after_commit(lambda: ran.append("never"))
            raise RuntimeError("fail")
    assert ran == ["undo"]
    with transaction():
        on_rollback(lambda: ran.append("never"))
        after_commit(lambda: ran.append("done"))
    assert ran == ["undo", "done"]


def test_hooks_need_an_open_transaction(app):
    with pytest.raises(RuntimeError):
        on_rollback(lambda: None)


def _count_in_new_session(app) -> int:
    with app.app_context():
        db.session.remove()
        return _audit_count()


def test_a_change_made_outside_a_unit_of_work_is_never_saved_by_the_end_of_a_request(make_app):
    from portal.security import policy

    app = make_app()

    def flushed():
        _write("flushed outside a unit of work")
        return "ok"

    def pending():
        db.session.add(AuditEntry(action="added, never flushed", object_type="test"))
        return "ok"

    app.add_url_rule("/test/flushed", "test_flushed", policy.public(flushed))
    app.add_url_rule("/test/pending", "test_pending", policy.public(pending))
    client = app.test_client()
    assert client.get("/test/flushed").status_code == 200
    assert client.get("/test/pending").status_code == 200
    assert _count_in_new_session(app) == 0


def test_a_request_that_only_reads_ends_with_commit_so_the_connection_keeps_its_prepared_statements(make_app):
    # psycopg forgets every prepared statement on ROLLBACK: ending reads that way re-plans every query.
    from sqlalchemy import event

    app = make_app()
    ended = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "commit", lambda conn: ended.append("commit"))
    event.listen(engine, "rollback", lambda conn: ended.append("rollback"))
    assert app.test_client().get("/positions").status_code == 200
    assert ended == ["commit"]
