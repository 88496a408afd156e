"""The one transaction boundary: every change to the database commits here, or rolls back here.

`with transaction():` (or a service decorated with `@transactional`) opens a unit of work. Nested
units join the outermost one, so a service that calls another service still commits once, at the
outermost level, and an error anywhere rolls back everything. Work outside the database that must
be undone with it (a file stored for an application that then failed) registers an `on_rollback`
hook; work that must wait until the change is durable registers an `after_commit` hook.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps

from sqlalchemy import event

from portal.extensions import db

log = logging.getLogger("candor.transaction")

_DEPTH = "candor.uow.depth"
_DOOMED = "candor.uow.doomed"
_ON_ROLLBACK = "candor.uow.on_rollback"
_AFTER_COMMIT = "candor.uow.after_commit"
_FLUSHED_OUTSIDE = "candor.uow.flushed_outside"


class TransactionDoomed(RuntimeError):
    """An inner unit of work failed and its error was swallowed: the whole unit is rolled back."""


def in_transaction() -> bool:
    return db.session().info.get(_DEPTH, 0) > 0


@contextmanager
def transaction() -> Iterator[None]:
    """A unit of work: commit at the outermost level when the body returns, roll back on any error."""
    session = db.session()
    info = session.info
    depth = info.get(_DEPTH, 0)
    if depth > 0:
        info[_DEPTH] = depth + 1
        try:
            yield
        except BaseException:
            # Whoever catches this error must not commit the inner step's half-done work.
            info[_DOOMED] = True
            raise
        finally:
            info[_DEPTH] = depth
        return
    info.update({_DEPTH: 1, _DOOMED: False, _ON_ROLLBACK: [], _AFTER_COMMIT: []})
    try:
        yield
        if info[_DOOMED]:
            raise TransactionDoomed("an inner step failed, so nothing was saved")
        session.commit()
    except BaseException:
        session.rollback()
        hooks = info[_ON_ROLLBACK]
        _reset(info)
        _run(hooks, "rollback")
        raise
    hooks = info[_AFTER_COMMIT]
    _reset(info)
    _run(hooks, "after-commit")


def _reset(info: dict) -> None:
    for key in (_DEPTH, _DOOMED, _ON_ROLLBACK, _AFTER_COMMIT):
        info.pop(key, None)


def transactional(func: Callable) -> Callable:
    """Make a service function a unit of work (joining the caller's, if there is one)."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        with transaction():
            return func(*args, **kwargs)

    return wrapper


_KEPT = "candor.kept_for_request"


def keep_for_request(*objects) -> None:
    """Hold loaded objects until the request ends: the session's identity map holds them only weakly,
    and a later part of the same page (a capability's section) then finds them without a query."""
    db.session.info.setdefault(_KEPT, []).extend(objects)


def end_request(error: BaseException | None = None) -> None:
    """End the request's reading transaction (teardown, before the session is removed).

    A request that only read ends with COMMIT, which for a transaction without writes is the same as
    ROLLBACK, except that the connection keeps its prepared statements: psycopg forgets them all on
    ROLLBACK, and every query would be planned again on every request. Anything else (an error, a
    change nobody saved through a unit of work) is rolled back when the session is removed.
    """
    session = db.session()
    session.info.pop(_KEPT, None)
    if error is not None or in_transaction() or not session.in_transaction():
        return
    if session.new or session.dirty or session.deleted or session.info.pop(_FLUSHED_OUTSIDE, False):
        return
    try:
        session.commit()
    except Exception:  # noqa: BLE001  the connection failed: removing the session rolls back
        log.warning("ending a read-only request failed", exc_info=True)


def _note_flush_outside_unit(session, _flush_context) -> None:
    # A flush outside any unit of work wrote something nobody committed: never commit it at the end.
    if session.info.get(_DEPTH, 0) == 0:
        session.info[_FLUSHED_OUTSIDE] = True


def _forget_flushes(session, *_args) -> None:
    session.info.pop(_FLUSHED_OUTSIDE, None)


def init_app(app) -> None:
    for name, listener in (
        ("after_flush", _note_flush_outside_unit),
        ("after_commit", _forget_flushes),
        ("after_soft_rollback", _forget_flushes),
    ):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)
    app.teardown_request(end_request)


def on_rollback(hook: Callable[[], None]) -> None:
    """Run `hook` if the current unit of work rolls back (for example: delete a file it stored)."""
    _hooks(_ON_ROLLBACK).append(hook)


def after_commit(hook: Callable[[], None]) -> None:
    """Run `hook` once the current unit of work has committed."""
    _hooks(_AFTER_COMMIT).append(hook)


def _hooks(name: str) -> list:
    info = db.session().info
    if info.get(_DEPTH, 0) == 0:
        raise RuntimeError("no transaction is open: wrap the change in transaction() or @transactional")
    return info[name]


def _run(hooks: list[Callable[[], None]], what: str) -> None:
    for hook in hooks:
        try:
            hook()
        except Exception:  # noqa: BLE001  one failing clean-up must not stop the others
            log.exception("%s hook failed", what)
