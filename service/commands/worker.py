"""`flask worker` runs the scheduler process; `flask worker status` says whether one is alive."""

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from service.extensions import db
from service.models import Message
from service.worker.heartbeat import last_seen, worker_alive
from service.worker.scheduler import run_worker


@click.group("worker", cls=AppGroup, invoke_without_command=True)
@click.pass_context
@with_appcontext
def group(ctx: click.Context) -> None:
    """The worker process that sends due messages: run it, or ask for its status."""
    if ctx.invoked_subcommand is None:
        run_worker(current_app._get_current_object())


@group.command("status")
def status_command() -> None:
    now = datetime.now(UTC)
    seen = last_seen(db.session)
    due = db.session.scalar(
        select(func.count()).select_from(Message).where(Message.status == "planned", Message.send_at <= now)
    )
    state = "alive" if worker_alive(db.session, now) else "NOT RUNNING (scheduled sends will not go out)"
    seen_text = f"last seen {int((now - seen).total_seconds())}s ago" if seen else "never seen"
    click.echo(f"worker: {state}; {seen_text}; {due} message(s) due and waiting")
