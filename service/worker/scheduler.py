"""The worker process: APScheduler runs a fixed job list (send what is due, beat the heartbeat, send confirmation
emails the signup page could not, check the clinic's blog feed every half hour, read the week's posts' metrics from X
every hour, check and import large subscriber CSV files, delete abandoned uploads, and once a day delete signups
nobody confirmed, mend the audience counts and fold the event counts); every job reads and writes the database.

APScheduler 3 cannot share its job store between processes, so it holds no state of ours: the jobs only poll the
database, which is why a schedule changed in the web UI takes effect at the next poll without a restart.

SIGTERM (or SIGINT) sets the context's stop flag: the send loops finish the batch in hand, record it and hand their
message back; the scheduler starts no new job and waits for the running one; the worker removes its heartbeat and
hands back the dispatch lease, then exits.
"""

import gc
import logging
import signal
import threading
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from service.articles.feed import check_blog_feed
from service.campaigns.event_counts import fold_event_counts
from service.extensions import db
from service.heartbeat import Liveness, beat, farewell
from service.subscribers import uploads
from service.subscribers.audience_counts import mend_and_report
from service.subscribers.confirmations import send_unsent_confirmations
from service.subscribers.import_jobs import release_claims, run_next_import
from service.subscribers.retention import purge_unconfirmed
from service.worker.claims import release_dispatch_lease, take_turn
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from service.worker.post_metrics import fetch_post_metrics

log = logging.getLogger(__name__)

CONFIRMATIONS_SECONDS = 60
PURGE_SECONDS = 24 * 3600
MEND_COUNTS_SECONDS = 24 * 3600
FOLD_EVENT_COUNTS_SECONDS = 24 * 3600
BLOG_FEED_SECONDS = 30 * 60
POST_METRICS_SECONDS = 60 * 60
# The jobs one worker does for all, in turns (their worker_leases rows).
POST_METRICS_TURN = "post-metrics"
MEND_COUNTS_TURN = "mend-audience-counts"
# A turn is a little shorter than the job's interval: the worker that took the last one may take the next on time.
TURN_SLACK = timedelta(minutes=1)
# With uploads.STALE_AFTER_SECONDS (50 min), an abandoned upload's file of addresses is gone within the hour.
DISCARD_UPLOADS_SECONDS = 10 * 60
# Docker and most process managers kill 10-30 s after SIGTERM; the batch in hand must be recorded well before.
STOP_TIMEOUT_SECONDS = 25


def _in_app(app: Flask, ctx: WorkerContext, job):
    def run() -> None:
        if ctx.stopping.is_set():
            return
        with app.app_context():
            try:
                job()
            except Exception:
                db.session.rollback()
                log.exception("worker job failed; it runs again at its next interval")
            finally:
                db.session.remove()

    return run


def build_scheduler(app: Flask, ctx: WorkerContext) -> BackgroundScheduler:
    # A dispatch tick that outlasts the poll interval is normal (a long send): APScheduler's "skipped: maximum number
    # of running instances" warning, and its job-added chatter, would fill the log; its errors still show.
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    scheduler = BackgroundScheduler(timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1})
    # A worker beats at every poll interval and counts as alive for two (see service/heartbeat.py).
    liveness = Liveness.from_config(app.config)
    jobs = (
        ("dispatch-due-messages", lambda: run_due_messages(db.session, ctx), app.config["WORKER_POLL_SECONDS"]),
        (
            "heartbeat",
            lambda: beat(db.session, ctx.worker_id, ctx.clock(), liveness),
            app.config["WORKER_POLL_SECONDS"],
        ),
        (
            "send-unsent-confirmations",
            lambda: send_unsent_confirmations(db.session, ctx.email_channel, app.config, ctx.clock()),
            CONFIRMATIONS_SECONDS,
        ),
        (
            "check-blog-feed",
            lambda: check_blog_feed(db.session, app.config, ctx.clock(), ctx.email_channel),
            BLOG_FEED_SECONDS,
        ),
        (
            "fetch-post-metrics",
            lambda: _in_turn(
                ctx,
                POST_METRICS_TURN,
                POST_METRICS_SECONDS,
                lambda: fetch_post_metrics(db.session, ctx.social_channel, ctx.clock(), ctx.stopping),
            ),
            POST_METRICS_SECONDS,
        ),
        (
            "run-subscriber-imports",
            lambda: run_next_import(db.session, app.config, ctx.worker_id, ctx.clock()),
            app.config["WORKER_POLL_SECONDS"],
        ),
        (
            "discard-stale-uploads",
            lambda: uploads.discard_stale(app.config["SUBSCRIBER_IMPORT_DIR"]),
            DISCARD_UPLOADS_SECONDS,
        ),
        (
            "purge-unconfirmed-signups",
            lambda: purge_unconfirmed(db.session, ctx.clock(), app.config["PENDING_SIGNUP_DAYS"]),
            PURGE_SECONDS,
        ),
        (
            "mend-audience-counts",
            lambda: _in_turn(ctx, MEND_COUNTS_TURN, MEND_COUNTS_SECONDS, lambda: mend_and_report(db.session)),
            MEND_COUNTS_SECONDS,
        ),
        # No turns: two folds at once fold each row once (see service/campaigns/event_counts.py).
        ("fold-event-counts", lambda: fold_event_counts(db.session), FOLD_EVENT_COUNTS_SECONDS),
    )
    for job_id, job, seconds in jobs:
        scheduler.add_job(
            _in_app(app, ctx, job),
            "interval",
            seconds=seconds,
            id=job_id,
            replace_existing=True,
            next_run_time=datetime.now(UTC),
        )
    return scheduler


def _in_turn(ctx: WorkerContext, turn_name: str, seconds: int, job) -> None:
    """One worker does `job` for all, once per `seconds`, and a restarted worker does not do it again before the time
    is out: X's rate limits are per app, not per worker (the posts' metrics); two mendings at once would each add
    the drift they read (the audience counts)."""
    if take_turn(db.session, turn_name, ctx.worker_id, ctx.clock(), timedelta(seconds=seconds) - TURN_SLACK):
        job()


def freeze_startup_objects() -> None:
    """Keep the objects loaded at startup out of garbage collection from now on.

    A send allocates thousands of objects a batch that live until the batch is done, so full collections run every
    few batches; each would walk everything the app loaded (SQLAlchemy, Jinja, the sendgrid client): over a second
    of a 100,000-recipient send. Frozen, collections walk only what the send itself allocated.
    """
    gc.collect()
    gc.freeze()


def run_worker(app: Flask) -> bool:
    """Run until SIGTERM or SIGINT. True if the batch in hand was finished and recorded within the stop timeout."""
    with app.app_context():
        ctx = WorkerContext.from_config(app.config)
        beat(db.session, ctx.worker_id, ctx.clock(), Liveness.from_config(app.config))
        db.session.remove()

    def stop(signum, frame) -> None:
        ctx.stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler = build_scheduler(app, ctx)
    freeze_startup_objects()
    scheduler.start()
    log.info("worker %s started; polling every %ss", ctx.worker_id, app.config["WORKER_POLL_SECONDS"])
    # The main thread only waits for a signal; the jobs run on the scheduler's threads.
    while not ctx.stopping.wait(timeout=1):
        pass
    log.info("worker %s stopping after the batch in hand", ctx.worker_id)
    clean = _stop_scheduler(scheduler)
    with app.app_context():
        release_dispatch_lease(db.session, ctx.worker_id)
        release_claims(db.session, ctx.worker_id)
        farewell(db.session, ctx.worker_id)
        db.session.remove()
    log.info("worker %s stopped%s", ctx.worker_id, "" if clean else " with a batch still in flight")
    return clean


def _stop_scheduler(scheduler: BackgroundScheduler) -> bool:
    """Start no new job and wait (up to the stop timeout) for the running one to return."""

    def shutdown() -> None:
        scheduler.remove_all_jobs()
        scheduler.shutdown(wait=True)

    stopper = threading.Thread(target=shutdown, name="worker-stop", daemon=True)
    stopper.start()
    stopper.join(STOP_TIMEOUT_SECONDS)
    if stopper.is_alive():
        log.error(
            "the running job did not finish within %ss; its batch will be flagged uncertain", STOP_TIMEOUT_SECONDS
        )
        return False
    return True
