"""Two real worker processes against one database (a deploy overlap): every recipient gets the email exactly once, the
thread is posted once and chained, nothing is left uncertain, even when the worker holding the email stops part-way
and the other takes over. On PostgreSQL both workers send at once (SKIP LOCKED); on SQLite they take turns."""

import signal
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.models import Delivery, Message, SendBatch, WorkerHeartbeat
from tests.app_config import base_config
from tests.outbox import Outbox
from tests.worker.processes import (
    WorkerPool,
    add_subscribers,
    app_sharing_its_database,
    due_campaign,
    outbox_recipients,
    read,
    wait_until,
    worker_env,
)

RECIPIENTS = 300
BATCH_SIZE = 10


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_app(request, tmp_path: Path):
    """An app whose database the worker processes share: a SQLite file, or the session's PostgreSQL database (with a
    fresh schema)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tidings.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    with app_sharing_its_database(base_config(tmp_path, url), fresh_schema=True) as app:
        yield app


def message_field(message_id: int, column):
    return read(select(column).where(Message.id == message_id))


@pytest.mark.slow
def test_two_workers_at_once_send_each_email_and_post_exactly_once(shared_app, seed_article_text, tmp_path):
    addresses = add_subscribers(shared_app, RECIPIENTS)
    campaign = due_campaign(shared_app, seed_article_text, send_post=True)
    email_id = next(m.id for m in campaign.messages if m.channel == "email")
    post_id = next(m.id for m in campaign.messages if m.channel == "x")
    outbox = Path(shared_app.config["OUTBOX_DIR"])
    env = worker_env(shared_app.config, EMAIL_BATCH_SIZE=BATCH_SIZE, WORKER_POLL_SECONDS=0.5)

    with WorkerPool(tmp_path) as pool:
        workers = [pool.start(env), pool.start(env)]
        wait_until(
            lambda: (
                message_field(email_id, Message.sent_count) >= 3 * BATCH_SIZE
                or message_field(email_id, Message.status) == "sent"
            ),
            timeout=30,
            what="the email to be under way",
            workers=pool,
        )
        # The deploy overlap: the worker holding the email is told to stop; the other must take over where it left.
        holder = message_field(email_id, Message.claimed_by)
        if holder is not None:
            pid = int(holder.split(":")[1])
            stopping = next(w for w in workers if w.pid == pid)
            stopping.process.send_signal(signal.SIGTERM)
            assert stopping.wait(30) == 0, stopping.output()
        wait_until(
            lambda: {message_field(email_id, Message.status), message_field(post_id, Message.status)} == {"sent"},
            timeout=60,
            what="both messages to be sent",
            workers=pool,
        )
        assert read(select(func.count()).select_from(WorkerHeartbeat)) >= 1
        for worker in workers:
            assert worker.stop(timeout=30) == 0, worker.output()

    received = Counter(outbox_recipients(outbox))
    assert sorted(received) == sorted(addresses), "every recipient got the email"
    assert set(received.values()) == {1}, "and nobody got it twice"
    assert read(select(func.count()).select_from(SendBatch).where(SendBatch.status != "sent")) == 0
    assert read(select(func.count()).select_from(SendBatch)) == RECIPIENTS // BATCH_SIZE
    assert read(select(func.count()).select_from(Delivery).where(Delivery.status != "sent")) == 0
    assert message_field(email_id, Message.sent_count) == RECIPIENTS

    posts = Outbox(outbox).posts
    assert len(posts) == message_field(post_id, Message.total_count), "each part of the thread posted once"
    assert posts[0]["in_reply_to"] is None
    assert all(post["in_reply_to"] == previous["id"] for previous, post in zip(posts, posts[1:], strict=False))
