"""The worker process: APScheduler runs a fixed job list; every job reads and writes the database.

APScheduler 3 cannot share its job store between processes, so it holds no state of ours: the jobs only poll the
database, which is why a schedule changed in the web UI takes effect at the next poll without a restart.
"""

import logging
import signal
import threading
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from service.extensions import db
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from service.worker.heartbeat import beat

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5


def _in_app(app: Flask, job):
    def run() -> None:
        with app.app_context():
            try:
                job()
            except Exception:
                db.session.rollback()
                log.exception("worker job failed; it runs again at its next interval")
            finally:
                db.session.remove()

    return run


def build_scheduler(app: Flask, ctx: WorkerContext) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
    jobs = (
        ("dispatch-due-messages", lambda: run_due_messages(db.session, ctx), app.config["WORKER_POLL_SECONDS"]),
        ("heartbeat", lambda: beat(db.session, ctx.worker_id, ctx.clock()), HEARTBEAT_SECONDS),
    )
    for job_id, job, seconds in jobs:
        scheduler.add_job(
            _in_app(app, job),
            "interval",
            seconds=seconds,
            id=job_id,
            replace_existing=True,
            next_run_time=datetime.now(UTC),
        )
    return scheduler


def run_worker(app: Flask) -> None:
    """Run until SIGTERM or SIGINT; the job in hand finishes before the process exits."""
    with app.app_context():
        ctx = WorkerContext.from_config(app.config)
    scheduler = build_scheduler(app, ctx)

    def stop(signum, frame) -> None:
        log.info("worker %s stopping (signal %s)", ctx.worker_id, signum)
        threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("worker %s started; polling every %ss", ctx.worker_id, app.config["WORKER_POLL_SECONDS"])
    scheduler.start()
