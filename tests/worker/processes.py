"""Real worker processes for tests: `flask --app wsgi worker` started with a given environment, stopped gently
(SIGTERM) or killed (SIGKILL), its output captured to a file that a failing test prints.

The worker needs the schema: create it (`db.create_all()`) in the test process before starting one.

    with WorkerPool(tmp_path) as pool:
        worker = pool.start(worker_env(app.config, EMAIL_BATCH_SIZE=10))
        wait_until(lambda: ..., timeout=20, what="the message to be sent", workers=pool)
        assert worker.stop() == 0
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

from service import create_app
from service.extensions import db
from service.models import Campaign, Subscriber, SubscriberTopic
from service.subscribers.identity import email_hash
from tests.factories import approve_and_schedule, draft_campaign, import_seed, make_user

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKER_COMMAND = (sys.executable, "-m", "flask", "--app", "wsgi", "worker")
# The settings a test app's config shares with its workers (the rest are given as keyword arguments).
SHARED_SETTINGS = (
    "SECRET_KEY",
    "EMAIL_HASH_KEY",
    "DATABASE_URL",
    "PUBLIC_BASE_URL",
    "OUTBOX_DIR",
    "EMAIL_CHANNEL",
    "SOCIAL_CHANNEL",
)
# Variables of ours a developer's shell might have set; a test worker must not inherit them.
_OURS = (
    "DATABASE_URL",
    "OUTBOX_DIR",
    "EMAIL_",
    "SOCIAL_",
    "SENDGRID_",
    "X_",
    "WORKER_",
    "MISSED_",
    "PENDING_",
    "TIDINGS_",
)


def worker_env(config: Mapping, **settings) -> dict[str, str]:
    """The environment for a worker that shares `config`'s database, outbox, channels and secret, plus `settings`.

    Values given as `settings` (WORKER_POLL_SECONDS=0.5, EMAIL_BATCH_SIZE=10, SENDGRID_API_HOST=...) win.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith(_OURS)}
    env.update({name: str(config[name]) for name in SHARED_SETTINGS if config.get(name) is not None})
    env.update({"TIDINGS_ENV": "development", "WORKER_POLL_SECONDS": "0.5", "PYTHONUNBUFFERED": "1"})
    env.update({name: str(value) for name, value in settings.items()})
    return env


class WorkerProcess:
    """One running `flask worker`; its stdout and stderr go to `log_path`."""

    def __init__(self, env: Mapping[str, str], log_path: Path):
        self.log_path = log_path
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                WORKER_COMMAND, cwd=REPO_ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def terminate(self) -> None:
        """SIGTERM: the worker finishes the batch in hand, records it and exits."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL: the worker stops wherever it is, as in a crash."""
        if self.alive():
            self.process.kill()

    def wait(self, timeout: float) -> int:
        """The exit code; raises subprocess.TimeoutExpired if the worker is still running after `timeout` s."""
        return self.process.wait(timeout)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then wait; a worker that does not exit in time is killed and the test fails with its log."""
        self.terminate()
        try:
            return self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.wait(5)
            message = f"worker {self.pid} did not exit within {timeout}s of SIGTERM\n{self.output()}"
            raise AssertionError(message) from None

    def output(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")


class WorkerPool:
    """Starts workers and, whatever happens in the test, kills the ones still running at the end."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.workers: list[WorkerProcess] = []

    def start(self, env: Mapping[str, str]) -> WorkerProcess:
        worker = WorkerProcess(env, self.folder / f"worker-{len(self.workers) + 1}.log")
        self.workers.append(worker)
        return worker

    def outputs(self) -> str:
        return "\n".join(f"--- {w.log_path.name} (pid {w.pid})\n{w.output()}" for w in self.workers)

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc_info) -> None:
        for worker in self.workers:
            if worker.alive():
                worker.kill()
                worker.wait(10)


def wait_until(
    condition: Callable[[], bool], *, timeout: float, what: str, workers: WorkerPool | None = None, every: float = 0.05
) -> None:
    """Poll `condition` until it holds; fail after `timeout` s naming `what`, with the workers' logs."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            logs = f"\n{workers.outputs()}" if workers else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}{logs}")
        time.sleep(every)


def add_subscribers(app, count: int, *, topic: str = "newsletter", domain: str = "example.org") -> list[str]:
    """`count` confirmed subscribers of `topic`, inserted in one transaction (fast enough for thousands)."""
    now = datetime.now(UTC)
    addresses = [f"reader{number:05d}@{domain}" for number in range(count)]
    db.session.add_all(
        Subscriber(
            email=address,
            email_hash=email_hash(address, app.config["EMAIL_HASH_KEY"]),
            status="confirmed",
            consent_source="test",
            consent_at=now,
            confirmed_at=now,
            topic_links=[SubscriberTopic(topic=topic)],
        )
        for address in addresses
    )
    db.session.commit()
    return addresses


def due_campaign(app, seed_article_text: str, *, send_email: bool = True, send_post: bool = False) -> Campaign:
    """A scheduled one-off campaign (audience: the newsletter topic) whose messages fell due a second ago."""
    author = make_user(f"author-{uuid.uuid4().hex[:8]}@example.org", "marketer")
    reviewer = make_user(f"reviewer-{uuid.uuid4().hex[:8]}@example.org", "reviewer")
    article = import_seed(seed_article_text)
    now = datetime.now(UTC)
    send_at = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
    campaign = draft_campaign(
        app, author, [article.snippets[0].id], send_at, send_email=send_email, send_post=send_post
    )
    approve_and_schedule(app, campaign, author, reviewer, now)
    for message in campaign.messages:
        message.send_at = now - timedelta(seconds=1)
    db.session.commit()
    return campaign


def outbox_recipients(outbox_dir: str | Path) -> list[str]:
    """The `To` of every email in the outbox, repeats kept (for exactly-once asserts)."""
    parser = BytesParser(policy=policy.default)
    recipients = []
    for path in (Path(outbox_dir) / "email").glob("*.eml"):
        with path.open("rb") as handle:
            recipients.append(str(parser.parse(handle, headersonly=True)["To"]))
    return recipients


@contextmanager
def app_sharing_its_database(config: Mapping, *, fresh_schema: bool = False) -> Iterator:
    """An app (in an app context) whose database worker processes open too; the schema is made here for them."""
    app = create_app(config)
    with app.app_context():
        if fresh_schema:
            db.drop_all()
        db.create_all()
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def read(query):
    """One fresh read, its transaction ended at once so the workers' writes never wait on the test."""
    try:
        return db.session.scalar(query)
    finally:
        db.session.rollback()
