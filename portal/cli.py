"""flask commands: create-staff, seed-demo, outbox deliver / work, calendars refresh / work."""

from __future__ import annotations

import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from portal.accounts import services as accounts
from portal.accounts.models import ROLE_VALUES
from portal.errors import DomainError

outbox = AppGroup("outbox", help="Deliver the mail waiting in the outbox.")


@outbox.command("deliver")
@click.option("--limit", default=500, show_default=True, help="Messages to send in this pass at most.")
def outbox_deliver(limit: int) -> None:
    """Send every message that is due, once."""
    from portal.notifications.worker import deliver_once

    report = deliver_once(limit=limit)
    click.echo(f"sent {report.sent}, to retry {report.failed}, gave up {report.dead}")


@outbox.command("work")
@click.option("--interval", default=2.0, show_default=True, help="Seconds to wait when nothing is due.")
@click.option(
    "--stop-after", type=float, default=None, help="Stop after this many seconds (default: run until interrupted)."
)
@click.option(
    "--calendars/--no-calendars",
    default=True,
    show_default=True,
    help="Also read staff members' own calendars when due, in a thread of their own.",
)
def outbox_work(interval: float, stop_after: float | None, calendars: bool) -> None:
    """Keep delivering until interrupted (run one or more alongside the web app)."""
    from portal.notifications.worker import work

    click.echo(f"outbox worker started (MAIL_URL={current_app.config['MAIL_URL'] or 'log only'})")
    stop = threading.Event()
    # A service manager stops the worker with SIGTERM: finish the message in hand, then leave.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # A slow calendar must not hold up the mail: the calendars have a thread (and a session) of their own.
    reader = _calendar_thread(stop, stop_after) if calendars else None
    try:
        work(interval=interval, stop_after=stop_after, stop=stop)
    except KeyboardInterrupt:
        pass
    stop.set()
    if reader is not None:
        reader.join(timeout=30)
    click.echo("outbox worker stopped")


def _calendar_thread(stop: threading.Event, stop_after: float | None) -> threading.Thread:
    from portal.scheduling import own_calendar

    app = current_app._get_current_object()

    def run():
        with app.app_context():
            own_calendar.work(stop_after=stop_after, stop=stop)

    thread = threading.Thread(target=run, name="calendars", daemon=True)
    thread.start()
    return thread


calendars = AppGroup("calendars", help="Read staff members' own calendars (ICS feeds, CalDAV accounts).")


@calendars.command("refresh")
@click.option("--limit", default=500, show_default=True, help="Calendars to read in this pass at most.")
def calendars_refresh(limit: int) -> None:
    """Read every calendar not read for CALENDAR_REFRESH_MINUTES, once (for cron)."""
    from portal.scheduling import own_calendar

    report = own_calendar.refresh_due(limit=limit)
    click.echo(f"read {report.read}, failed {report.failed}")


@calendars.command("work")
@click.option("--interval", default=60.0, show_default=True, help="Seconds between two passes.")
@click.option("--stop-after", type=float, default=None, help="Stop after this many seconds.")
def calendars_work(interval: float, stop_after: float | None) -> None:
    """Keep reading due calendars until interrupted (instead of the outbox worker's thread)."""
    from portal.scheduling import own_calendar

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        own_calendar.work(interval=interval, stop_after=stop_after, stop=stop)
    except KeyboardInterrupt:
        pass


@click.command("create-staff")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role", "roles", multiple=True, required=True, type=click.Choice(ROLE_VALUES), help="Repeat for several roles."
)
@click.option("--password", default=None, help="Set a password now instead of emailing an invitation link.")
def create_staff(email: str, name: str, roles: tuple[str, ...], password: str | None) -> None:
    """Create a staff account (the first admin, typically)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise click.BadParameter(str(exc), param_hint="--email") from None
    if password:
        problem = accounts.password_problem(password, email, name)
        if problem:
            raise click.BadParameter(problem, param_hint="--password")
    try:
        user = accounts.create_staff(email=email, name=name, roles=roles, password=password)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    how = "with the given password" if password else "an invitation link is in the outbox"
    click.echo(f"created staff account {user.email} ({', '.join(sorted(user.roles))}); {how}")


@click.command("seed-demo")
@click.option("--force", is_flag=True, help="Seed even if demo data is already there.")
def seed_demo(force: bool) -> None:
    """Add demo positions, staff of every role and candidates at every stage (once)."""
    from portal import demo

    try:
        seeded = demo.already_seeded()
    except demo.PartialDemo as exc:
        raise click.ClickException(str(exc)) from None
    if seeded and not force:
        click.echo("demo data already present")
    else:
        demo.seed()
        click.echo("demo data created")
    click.echo(demo.logins_text())


def register(app) -> None:
    app.cli.add_command(outbox)
    app.cli.add_command(calendars)
    app.cli.add_command(create_staff)
    app.cli.add_command(seed_demo)
