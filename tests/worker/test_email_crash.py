"""SIGKILL during a SendGrid request: a real worker process against the fake SendGrid server is killed while a batch
is in flight, and a new worker finishes the send. Every recipient gets the email exactly once, except those of the
one batch in flight, which is flagged uncertain and never resent automatically."""

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.extensions import db
from service.models import Delivery, Message, SendBatch, Subscriber, Suppression
from service.subscribers.identity import email_hash
from tests.app_config import base_config
from tests.factories import add_subscriber
from tests.worker.email_settings import sendgrid_settings
from tests.worker.processes import (
    WorkerPool,
    add_subscribers,
    app_sharing_its_database,
    due_campaign,
    read,
    wait_until,
    worker_env,
)

RECIPIENTS = 80
BATCH_SIZE = 10


@pytest.fixture
def sqlite_app(tmp_path: Path, fake_sendgrid):
    """An app on a SQLite file that the worker processes open too, sending through the fake SendGrid."""
    config = {**base_config(tmp_path, f"sqlite:///{tmp_path / 'tidings.db'}"), **sendgrid_settings(fake_sendgrid)}
    with app_sharing_its_database(config) as app:
        yield app


def batches_with_status(message_id: int, status: str) -> int:
    return read(
        select(func.count())
        .select_from(SendBatch)
        .where(SendBatch.message_id == message_id, SendBatch.status == status)
    )


def requests_in_flight(message_id: int) -> int:
    """Batches in flight whose request left (not the next one, written while that request was out)."""
    return read(
        select(func.count())
        .select_from(SendBatch)
        .where(SendBatch.message_id == message_id, SendBatch.status == "in_flight", ~SendBatch.awaiting_request)
    )


def wait_for_the_slow_request(fake, number: int, message_id: int, pool: WorkerPool) -> None:
    """Until SendGrid has the planned slow request (the `number`th), its batch in flight."""
    wait_until(
        lambda: fake.arrived >= number and requests_in_flight(message_id) == 1,
        timeout=20,
        what=f"request {number} to reach SendGrid and hang with its batch in flight",
        workers=pool,
    )


@pytest.mark.slow
def test_sigkill_mid_request_then_restart_sends_everyone_once_except_one_uncertain_batch(
    sqlite_app, fake_sendgrid, seed_article_text, tmp_path
):
    addresses = add_subscribers(sqlite_app, RECIPIENTS)
    add_subscriber(sqlite_app, "pending@example.net", status="pending")
    add_subscriber(sqlite_app, "suppressed@example.net")
    db.session.add(
        Suppression(
            email_hash=email_hash("suppressed@example.net", sqlite_app.config["EMAIL_HASH_KEY"]), reason="bounced"
        )
    )
    db.session.commit()
    campaign = due_campaign(sqlite_app, seed_article_text)
    message_id = campaign.messages[0].id
    env = worker_env(
        sqlite_app.config,
        **sendgrid_settings(fake_sendgrid, SENDGRID_TIMEOUT_SECONDS=30),
        EMAIL_BATCH_SIZE=BATCH_SIZE,
        WORKER_POLL_SECONDS=0.2,
        WORKER_LEASE_SECONDS=2,
    )
    status = lambda: read(select(Message.status).where(Message.id == message_id))  # noqa: E731

    # After two batches SendGrid turns slow: the third request is accepted, but only after 3 s. The worker dies
    # before then. Planned ahead: a worker sends the whole list faster than a test could react.
    fake_sendgrid.hang_on_request(3, 3.0)
    with WorkerPool(tmp_path) as pool:
        killed = pool.start(env)
        wait_for_the_slow_request(fake_sendgrid, 3, message_id, pool)
        assert len(fake_sendgrid.requests) == 2, "two batches accepted before the slow one"
        accepted_before_kill = len(fake_sendgrid.requests)
        killed.kill()
        assert killed.wait(10) == -9
        assert status() == "sending" and requests_in_flight(message_id) == 1
        wait_until(
            lambda: len(fake_sendgrid.requests) == accepted_before_kill + 1,
            timeout=10,
            what="SendGrid to accept the request of the dead worker",
        )

        restarted = pool.start(env)
        wait_until(lambda: status() == "sent", timeout=40, what="the restarted worker to finish the send", workers=pool)
        assert restarted.stop() == 0, restarted.output()

    received = Counter(fake_sendgrid.recipients())
    assert set(received.values()) == {1}, "nobody got the email twice"
    assert fake_sendgrid.violations == []
    uncertain = set(
        db.session.scalars(
            select(Subscriber.email)
            .join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .join(SendBatch, SendBatch.id == Delivery.batch_id)
            .where(SendBatch.message_id == message_id, SendBatch.status == "uncertain")
        )
    )
    assert batches_with_status(message_id, "uncertain") == 1, "exactly the batch in flight is flagged"
    assert len(uncertain) == BATCH_SIZE
    assert set(addresses) == set(received) | uncertain, "nobody silently skipped"
    assert uncertain <= set(received), "SendGrid had accepted the flagged batch, and it was not sent again"
    assert not {"pending@example.net", "suppressed@example.net"} & set(received)
    message = db.session.get(Message, message_id)
    assert message.sent_count == RECIPIENTS - BATCH_SIZE
