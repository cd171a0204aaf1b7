"""Worker A of the lease-outlasted tests: sending in a thread of its own (its own session) until its first request
comes back, then held until the test lets its late outcome reach it; worker B and the lease running out."""

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from service.extensions import db
from service.models import Message, WorkerLease
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages


class SlowWorker:
    """`channel_name`: the context's channel whose outcome comes late. A subclass makes that channel set
    `came_back` once its first request is answered and wait for `late` before the worker may read the answer."""

    channel_name = ""

    def __init__(self, app):
        self.app, self.errors = app, []
        self.ctx = WorkerContext.from_config(app.config)
        self.channel = getattr(self.ctx, self.channel_name)
        self.channel.came_back, self.channel.late = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        with self.app.app_context():
            try:
                run_due_messages(db.session, self.ctx)
            except Exception as error:  # noqa: BLE001 - re-raised in the test's thread by finish()
                self.errors.append(error)

    def start_and_wait_for_its_request(self) -> None:
        self.thread.start()
        assert self.channel.came_back.wait(10), "worker A's request never came back"

    def finish(self) -> None:
        """Let worker A's late outcome reach it, and wait until it has recorded what it records."""
        self.channel.late.set()
        self.thread.join(30)
        assert not self.thread.is_alive(), "worker A did not finish"
        if self.errors:
            raise self.errors[0]


def leases_run_out(message_id: int) -> None:
    """Time passes beyond worker A's lease (and, on SQLite, its turn to dispatch): another worker may take over."""
    past = datetime.now(UTC) - timedelta(seconds=1)
    db.session.execute(update(Message).where(Message.id == message_id).values(lease_until=past))
    db.session.execute(update(WorkerLease).values(until=past))
    db.session.commit()


def worker_b(app) -> WorkerContext:
    return WorkerContext.from_config(app.config, worker_id="worker-b")
