"""What the worker learns from SendGrid is written down before it waits: a batch SendGrid refused is known not to
have gone out, so a worker killed while waiting to try again leaves nothing for a person to decide."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry, Delivery, Message, SendBatch
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.worker.email_settings import sendgrid_settings
from tests.worker.processes import add_subscribers, due_campaign


@pytest.fixture
def app_config(app_config, fake_sendgrid):
    return {**app_config, **sendgrid_settings(fake_sendgrid, EMAIL_BATCH_SIZE=3)}


class KilledWorker(BaseException):
    """SIGKILL, as far as the worker's code can tell: nothing after it runs."""


def killed_while_waiting(seconds: float) -> None:
    raise KilledWorker


def batches(message_id: int) -> list[tuple[int, str, bool]]:
    db.session.expire_all()
    return [
        (b.number, b.status, b.refused)
        for b in db.session.scalars(
            select(SendBatch).where(SendBatch.message_id == message_id).order_by(SendBatch.number)
        )
    ]


def test_a_worker_killed_while_waiting_after_a_500_leaves_a_batch_the_next_worker_resends_unasked(
    app, fake_sendgrid, seed_article_text
):
    addresses = add_subscribers(app, 5)
    campaign = due_campaign(app, seed_article_text)
    message = campaign.messages[0]
    fake_sendgrid.fail_on_request(2, 500)  # the second batch's first try
    doomed = WorkerContext.from_config(app.config)
    doomed.email_channel.stop = None  # wait with `sleep`, which is where the kill lands
    doomed.email_channel.sleep = killed_while_waiting

    with pytest.raises(KilledWorker):
        run_due_messages(db.session, doomed)
    db.session.rollback()
    assert batches(message.id) == [(1, "sent", False), (2, "in_flight", True)], "the refusal was committed"
    db.session.get(Message, message.id).lease_until = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()

    run_due_messages(db.session, WorkerContext.from_config(app.config))

    db.session.expire_all()
    message = db.session.get(Message, message.id)
    assert (message.status, message.sent_count) == ("sent", 5)
    assert batches(message.id) == [(1, "sent", False), (2, "sent", False)]
    received = Counter(fake_sendgrid.recipients())
    assert sorted(received) == sorted(addresses) and set(received.values()) == {1}
    assert set(db.session.scalars(select(Delivery.status).where(Delivery.message_id == message.id))) == {"sent"}
    assert "batches:requeued" in db.session.scalars(select(AuditEntry.action))
    assert "batches:uncertain" not in db.session.scalars(select(AuditEntry.action))


def test_a_retry_that_leaves_clears_the_refusal_so_a_kill_in_flight_is_still_uncertain(
    app, fake_sendgrid, seed_article_text
):
    add_subscribers(app, 2)
    campaign = due_campaign(app, seed_article_text)
    message = campaign.messages[0]
    fake_sendgrid.respond_next(503)

    run_due_messages(db.session, WorkerContext.from_config(app.config))

    assert batches(message.id) == [(1, "sent", False)]
    assert [call.status for call in fake_sendgrid.calls] == [503, 202]
