"""The portal's own error pages: helpful, and leaking nothing about the internals."""

from __future__ import annotations

from flask import render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from sqlalchemy.exc import DataError as SQLAlchemyDataError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout

from portal.errors import DomainError
from portal.extensions import db

MESSAGES = {
    400: (
        "Something in that request was not right",
        "The page could not handle what was sent. Go back, reload the page and try again.",
    ),
    403: (
        "You cannot open this page",
        "Your account does not have access to this page. If you think it should, ask your recruiter or administrator.",
    ),
    404: ("Page not found", "The page does not exist, or you do not have access to it."),
    405: ("That action is not available here", "Use the buttons on the page instead of typing the address."),
    413: ("That file is too large", "Files can be at most {limit}. Make the file smaller and try again."),
    422: ("Please check the form", "Some of what was sent could not be accepted."),
    429: ("Too many attempts", "Please wait a minute before trying again."),
    503: (
        "We are busy right now",
        "Many people are using the portal at this moment. Please try again in a few seconds.",
    ),
    500: (
        "Something went wrong on our side",
        "Nothing you did caused this. Please try again in a moment; what you had saved is safe.",
    ),
}


BUSY_RETRY_SECONDS = 5

# Statuses without a message of their own borrow the general one of their class, so a client
# error is never blamed on the server (and a server error never on the visitor).
GENERAL = {4: 400, 5: 500}


TOO_MUCH_TEXT = (
    "That is too much to send",
    "What was sent is larger than this form accepts. Shorten it and try again.",
)


def _upload_limit() -> str | None:
    """The limit of what this page uploads; None for a page that uploads no file."""
    from portal.files import upload_kind_of_request

    kind = upload_kind_of_request()
    return kind.limit_text if kind is not None else None


def render_error(status: int, detail: str | None = None, headers=None):
    title, text = MESSAGES.get(status) or MESSAGES[GENERAL.get(status // 100, 500)]
    if status == 413:
        limit = _upload_limit()
        title, text = (title, text.format(limit=limit)) if limit else TOO_MUCH_TEXT
    page = render_template("errors/error.html", status=status, title=title, text=detail or text)
    return page, status, headers or {}


def register(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_error(400, "The form expired or was sent from another site. Reload the page and try again.")

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        return render_error(exc.status, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        # Keep what the exception tells the client (Allow on 405, Retry-After on 429/503,
        # WWW-Authenticate on 401); the body and its type are ours.
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        return render_error(exc.code, headers=headers)

    @app.errorhandler(SQLAlchemyDataError)
    def data_error(exc: SQLAlchemyDataError):
        # A value the database cannot hold (a NUL in text on PostgreSQL) that no check caught: the
        # request is refused and nothing of it is kept; it is still logged, as a check is missing.
        db.session.rollback()
        if "NUL" in str(exc.orig):
            app.logger.warning("NUL character reached the database on %s %s", request.method, request.path)
            return render_error(400, "Something sent holds a NUL character, which the portal does not accept.")
        app.logger.exception("database refused a value on %s %s", request.method, request.path)
        return render_error(500)

    @app.errorhandler(SQLAlchemyTimeout)
    def busy(exc: SQLAlchemyTimeout):
        # Every database connection of this process is in use: say so and when to retry, not "error".
        db.session.rollback()
        app.logger.warning("database connection pool exhausted on %s %s", request.method, request.path)
        return render_error(503, headers={"Retry-After": str(BUSY_RETRY_SECONDS)})

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500)
