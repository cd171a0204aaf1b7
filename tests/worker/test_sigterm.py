"""SIGTERM to a real worker process: it finishes the batch in hand, records it, hands the message back and exits 0
well within 30 seconds; the next worker finishes the send, and every recipient gets the email exactly once. The stop
flag itself is also tested in-process: raised mid-batch (email) or mid-thread (X), the send resumes without a gap."""

import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.channels.email.outbox import OutboxEmailChannel
from service.channels.social.outbox import OutboxSocialChannel
from service.extensions import db
from service.models import Delivery, Message, SendBatch, Subscriber, WorkerHeartbeat
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.app_config import base_config
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

RECIPIENTS = 150


@pytest.fixture
def sqlite_app(tmp_path: Path):
    with app_sharing_its_database(base_config(tmp_path, f"sqlite:///{tmp_path / 'tidings.db'}")) as app:
        yield app


def count_batches(message_id: int, status: str) -> int:
    return read(
        select(func.count())
        .select_from(SendBatch)
        .where(SendBatch.message_id == message_id, SendBatch.status == status)
    )


@pytest.mark.slow
def test_sigterm_finishes_the_batch_in_hand_and_a_new_worker_completes_the_send(
    sqlite_app, seed_article_text, tmp_path
):
    addresses = add_subscribers(sqlite_app, RECIPIENTS)
    campaign = due_campaign(sqlite_app, seed_article_text)
    message_id = campaign.messages[0].id
    env = worker_env(sqlite_app.config, EMAIL_BATCH_SIZE=1, WORKER_POLL_SECONDS=0.5)

    with WorkerPool(tmp_path) as pool:
        first = pool.start(env)
        sent = lambda: read(select(Message.sent_count).where(Message.id == message_id))  # noqa: E731
        wait_until(lambda: sent() >= 3, timeout=30, what="the first worker to send a few batches", workers=pool)

        asked = time.monotonic()
        assert first.stop(timeout=30) == 0, first.output()
        assert time.monotonic() - asked < 30

        message = db.session.get(Message, message_id, populate_existing=True)
        db.session.rollback()
        assert count_batches(message_id, "in_flight") == 0, "the batch in hand was finished and recorded"
        assert count_batches(message_id, "uncertain") == 0
        assert message.sent_count == len(outbox_recipients(sqlite_app.config["OUTBOX_DIR"]))
        assert message.sent_count == read(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.message_id == message_id, Delivery.status == "sent")
        )
        if message.status == "sending":  # stopped part-way (the usual case): handed back, not held
            assert message.claimed_by is None and message.lease_until is None
            assert message.sent_count < RECIPIENTS
        else:
            assert message.status == "sent"
        assert read(select(func.count()).select_from(WorkerHeartbeat)) == 0, "a clean stop removes its heartbeat"
        assert "stopped" in first.output()

        second = pool.start(env)
        status = lambda: read(select(Message.status).where(Message.id == message_id))  # noqa: E731
        wait_until(lambda: status() == "sent", timeout=30, what="the second worker to finish the send", workers=pool)
        assert second.stop(timeout=30) == 0, second.output()

    received = Counter(outbox_recipients(sqlite_app.config["OUTBOX_DIR"]))
    assert sorted(received) == sorted(addresses), "every recipient got the email"
    assert set(received.values()) == {1}, "and nobody got it twice"
    assert count_batches(message_id, "uncertain") == 0
    assert count_batches(message_id, "sent") == RECIPIENTS


@pytest.mark.slow
def test_sigterm_to_an_idle_worker_exits_at_once(sqlite_app, tmp_path):
    with WorkerPool(tmp_path) as pool:
        worker = pool.start(worker_env(sqlite_app.config))
        wait_until(
            lambda: read(select(func.count()).select_from(WorkerHeartbeat)) == 1,
            timeout=20,
            what="the worker's first heartbeat",
            workers=pool,
        )
        asked = time.monotonic()
        assert worker.stop(timeout=30) == 0, worker.output()
        assert time.monotonic() - asked < 5


@pytest.mark.slow
def test_after_sigkill_the_next_worker_takes_over_once_the_lease_runs_out(sqlite_app, seed_article_text, tmp_path):
    addresses = add_subscribers(sqlite_app, 60)
    campaign = due_campaign(sqlite_app, seed_article_text)
    message_id = campaign.messages[0].id
    env = worker_env(sqlite_app.config, EMAIL_BATCH_SIZE=1, WORKER_LEASE_SECONDS=2)
    sent = lambda: read(select(Message.sent_count).where(Message.id == message_id))  # noqa: E731

    with WorkerPool(tmp_path) as pool:
        killed = pool.start(env)
        wait_until(lambda: sent() >= 3, timeout=30, what="the first worker to send a few batches", workers=pool)
        killed.kill()
        assert killed.wait(10) == -9
        status = lambda: read(select(Message.status).where(Message.id == message_id))  # noqa: E731
        assert status() == "sending"

        second = pool.start(env)
        wait_until(lambda: status() == "sent", timeout=30, what="the second worker to finish the send", workers=pool)
        assert second.stop() == 0, second.output()

    uncertain = set(
        db.session.scalars(
            select(Subscriber.email)
            .join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .join(SendBatch, SendBatch.id == Delivery.batch_id)
            .where(SendBatch.message_id == message_id, SendBatch.status == "uncertain")
        )
    )
    assert len(uncertain) <= 1, "at most the one batch in hand when the worker was killed"
    received = Counter(outbox_recipients(sqlite_app.config["OUTBOX_DIR"]))
    assert set(received.values()) == {1}, "nobody got it twice"
    assert set(addresses) - set(received) <= uncertain, "nobody was silently skipped"


class StopDuringEmailBatch(OutboxEmailChannel):
    """The outbox, with the stop flag raised (as SIGTERM does) while the first batch is in hand."""

    ctx: WorkerContext

    def send_batch(self, email, recipients, observer=None, handover=None):
        self.ctx.stopping.set()
        return super().send_batch(email, recipients, observer, handover)


class StopDuringPost(OutboxSocialChannel):
    ctx: WorkerContext

    def post(self, text, *, in_reply_to=None, images=()):
        self.ctx.stopping.set()
        return super().post(text, in_reply_to=in_reply_to, images=images)


def stopping_context(app, **channels) -> WorkerContext:
    ctx = WorkerContext.from_config({**app.config, "EMAIL_BATCH_SIZE": 2}, **channels)
    for channel in channels.values():
        channel.ctx = ctx
    return ctx


def test_the_stop_flag_ends_an_email_send_after_the_batch_in_hand(app, seed_article_text):
    addresses = add_subscribers(app, 5)
    campaign = due_campaign(app, seed_article_text)
    message = campaign.messages[0]
    outbox = app.config["OUTBOX_DIR"]
    channel = StopDuringEmailBatch(outbox, from_address="news@example.org", from_name="Clinic")

    assert run_due_messages(db.session, stopping_context(app, email_channel=channel)) == 1

    db.session.refresh(message)
    assert (message.status, message.claimed_by, message.sent_count) == ("sending", None, 2)
    assert count_batches(message.id, "sent") == 1 and count_batches(message.id, "in_flight") == 0
    assert run_due_messages(db.session, WorkerContext.from_config(app.config)) == 1, "the next worker resumes at once"
    assert sorted(outbox_recipients(outbox)) == sorted(addresses)
    assert count_batches(message.id, "uncertain") == 0


def test_the_stop_flag_ends_a_thread_between_parts_and_the_next_worker_continues_it(app, seed_article_text, outbox):
    campaign = due_campaign(app, seed_article_text, send_email=False, send_post=True)
    message = campaign.messages[0]
    channel = StopDuringPost(app.config["OUTBOX_DIR"])

    run_due_messages(db.session, stopping_context(app, social_channel=channel))

    db.session.refresh(message)
    assert (message.status, message.sent_count) == ("sending", 1)
    run_due_messages(db.session, WorkerContext.from_config(app.config))
    db.session.refresh(message)
    assert message.status == "sent" and message.total_count > 1
    posts = outbox.posts
    assert len(posts) == message.total_count
    assert all(post["in_reply_to"] == previous["id"] for previous, post in zip(posts, posts[1:], strict=False))
