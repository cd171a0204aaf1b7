"""`flask worker` runs the scheduler process; `flask worker status` says whether one is alive (exit 1 if not)."""

import logging
import os
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from service.extensions import db
from service.heartbeat import Liveness, forget_dead, is_fresh, known_workers, last_seen, worker_alive
from service.models import Message
from service.worker.scheduler import run_worker


@click.group("worker", cls=AppGroup, invoke_without_command=True)
@click.pass_context
@with_appcontext
def group(ctx: click.Context) -> None:
    """The worker process that sends due messages: run it, or ask for its status."""
    if ctx.invoked_subcommand is None and not run_worker(current_app._get_current_object()):
        # A send did not finish within the stop timeout: leave now rather than wait for the process manager's kill.
        logging.shutdown()
        os._exit(1)


def _ago(now: datetime, then: datetime) -> str:
    return f"{int((now - then).total_seconds())}s ago"


def _count(*conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(Message).where(*conditions)) or 0


@group.command("status")
def status_command() -> None:
    """One health line, then one line per worker not yet forgotten (alive: seen within two poll intervals; stale:
    not since, but within its lease). Exits 1 when no worker is alive."""
    now = datetime.now(UTC)
    liveness = Liveness.from_config(current_app.config)
    forget_dead(db.session, now, liveness)
    db.session.commit()
    seen = last_seen(db.session)
    alive = worker_alive(db.session, now, liveness)
    due = _count(Message.status == "planned", Message.send_at <= now)
    missed = _count(Message.status == "missed")
    state = "alive" if alive else "NOT RUNNING (scheduled sends will not go out)"
    seen_text = f"last seen {_ago(now, seen)}" if seen else "never seen"
    line = f"worker: {state}; {seen_text}; {due} message(s) due and waiting"
    if missed:
        line += f"; {missed} missed message(s) wait for a person"
    click.echo(line)
    for heartbeat in known_workers(db.session):
        click.echo(
            f"  {heartbeat.worker_id}  {'alive' if is_fresh(heartbeat, now, liveness) else 'stale'}  "
            f"last seen {heartbeat.last_seen.isoformat(timespec='seconds')} ({_ago(now, heartbeat.last_seen)}), "
            f"started {heartbeat.started_at.isoformat(timespec='seconds')}"
        )
    if not alive:
        raise SystemExit(1)
