"""Batches whose outcome is unknown: flagged, never resent by the worker on its own, decided by a person on the
campaign page (resend, or mark delivered; both audit-logged). Only that batch waits: the rest of the audience goes
out meanwhile."""

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from service.channels.email.sendgrid import SendGridEmailChannel
from service.extensions import db
from service.models import AuditEntry, Campaign, Delivery, Message, SendBatch, Subscriber
from service.subscribers.unsubscribe import unsubscribe
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.factories import add_subscriber, draft_campaign
from tests.worker.email_settings import PAST_THE_TIMEOUT, small_batches_short_timeout, stop_after_calls
from tests.worker.processes import add_subscribers, due_campaign


@pytest.fixture
def app_config(app_config, fake_sendgrid):
    return {**app_config, **small_batches_short_timeout(fake_sendgrid)}


def worker(app) -> WorkerContext:
    return WorkerContext.from_config(app.config)


def batch_rows(message_id: int) -> list[tuple[int, str, int]]:
    db.session.expire_all()
    return [
        (b.number, b.status, b.recipient_count)
        for b in db.session.scalars(
            select(SendBatch).where(SendBatch.message_id == message_id).order_by(SendBatch.number)
        )
    ]


def batch(message_id: int, number: int) -> SendBatch:
    return db.session.scalar(select(SendBatch).where(SendBatch.message_id == message_id, SendBatch.number == number))


def assert_ledger_matches(message_id: int) -> None:
    """Every batch's deliveries carry its status, and the message counts exactly its sent deliveries."""
    db.session.expire_all()
    message = db.session.get(Message, message_id)
    sent = (
        select(func.count()).select_from(Delivery).where(Delivery.message_id == message_id, Delivery.status == "sent")
    )
    assert db.session.scalar(sent) == message.sent_count
    for each in db.session.scalars(select(SendBatch).where(SendBatch.message_id == message_id)):
        statuses = set(
            db.session.scalars(
                select(Delivery.status).where(Delivery.batch_id == each.id, Delivery.status != "skipped")
            )
        )
        counted = db.session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.batch_id == each.id, Delivery.status != "skipped")
        )
        assert counted == each.recipient_count, f"batch {each.number}"
        assert statuses <= {each.status}, f"batch {each.number} is {each.status}, its deliveries {statuses}"


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def wait_for_requests(fake, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(fake.requests) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_timeout_flags_only_its_batch_the_rest_goes_out_and_marking_it_delivered_settles_it(
    app, fake_sendgrid, seed_article_text, marketer_client, caplog
):
    addresses = add_subscribers(app, 8)
    campaign = due_campaign(app, seed_article_text)
    message = campaign.messages[0]
    fake_sendgrid.hang_next(PAST_THE_TIMEOUT)  # the first request: SendGrid is slow, accepts it, but after our timeout

    assert run_due_messages(db.session, worker(app)) == 1

    db.session.refresh(message)
    assert (message.status, message.sent_count) == ("sent", 5), "the rest of the audience did not wait"
    assert batch_rows(message.id) == [(1, "uncertain", 3), (2, "sent", 3), (3, "sent", 2)]
    assert "may or may not have been accepted" in batch(message.id, 1).error
    warning = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "batch 1" in r.getMessage()]
    assert warning and "waits for a person" in warning[0] and "did not answer" in warning[0]
    assert run_due_messages(db.session, worker(app)) == 0, "the uncertain batch waits for a person"
    wait_for_requests(fake_sendgrid, 3)
    assert len(fake_sendgrid.requests) == 3  # SendGrid did accept the first in the end
    assert len(fake_sendgrid.calls) == 3, "the timeout is not retried"
    assert "needs a decision" in marketer_client.get("/campaigns").get_data(as_text=True)

    page = marketer_client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Email batches to decide" in page and "Mark delivered" in page and "Resend" in page
    uncertain = batch(message.id, 1)
    response = marketer_client.post(f"/campaigns/{campaign.id}/batches/{uncertain.id}/mark-delivered")
    assert response.status_code == 302

    db.session.refresh(message)
    assert (message.status, message.sent_count) == ("sent", 8)
    assert batch_rows(message.id) == [(1, "sent", 3), (2, "sent", 3), (3, "sent", 2)]
    received = Counter(fake_sendgrid.recipients())
    assert sorted(received) == sorted(addresses) and set(received.values()) == {1}
    assert "batches:uncertain" in actions() and "batch:marked-delivered" in actions()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "batch:marked-delivered"))
    assert entry.actor_label == "Marketer" and entry.campaign_id == campaign.id
    assert db.session.get(Campaign, campaign.id).status == "sent"
    assert "needs a decision" not in marketer_client.get("/campaigns").get_data(as_text=True)
    assert_ledger_matches(message.id)


def test_a_batch_sendgrid_kept_refusing_can_be_resent_to_those_still_subscribed(
    app, fake_sendgrid, seed_article_text, marketer_client
):
    addresses = add_subscribers(app, 5)
    campaign = due_campaign(app, seed_article_text)
    message = campaign.messages[0]
    fake_sendgrid.respond_next(503, times=3)  # one try and two retries

    run_due_messages(db.session, worker(app))

    db.session.refresh(message)
    assert message.status == "sent"
    assert batch_rows(message.id) == [(1, "uncertain", 3), (2, "sent", 2)]
    assert "503" in batch(message.id, 1).error and batch(message.id, 1).refused
    assert sorted(fake_sendgrid.recipients()) == sorted(addresses[3:])
    leaving = db.session.scalar(select(Subscriber).where(Subscriber.email == addresses[0]))
    unsubscribe(db.session, leaving, datetime.now(UTC))
    db.session.commit()

    uncertain = batch(message.id, 1)
    marketer_client.post(f"/campaigns/{campaign.id}/batches/{uncertain.id}/resend")
    assert batch_rows(message.id) == [(1, "resend", 3), (2, "sent", 2)]
    page = marketer_client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "resend queued" in page

    run_due_messages(db.session, worker(app))

    db.session.refresh(message)
    assert message.status == "sent"
    assert batch_rows(message.id) == [(1, "sent", 2), (2, "sent", 2)]
    received = Counter(fake_sendgrid.recipients())
    assert sorted(received) == sorted(addresses[1:]) and set(received.values()) == {1}
    skipped = db.session.scalar(select(Delivery.status).where(Delivery.subscriber_id == leaving.id))
    assert skipped == "skipped"
    assert message.sent_count == 4
    assert {"batch:resend", "batch:resending"} <= set(actions())
    assert_ledger_matches(message.id)


class DiesBeforeTheRequest(SendGridEmailChannel):
    """The real channel in a worker that is killed on its second batch, after recording it in flight."""

    calls = 0

    def send_encoded(self, encoded, observer=None, handover=None):
        type(self).calls += 1
        if type(self).calls == 2:
            raise KilledWorker
        return super().send_encoded(encoded, observer, handover)


class KilledWorker(BaseException):
    pass


def test_after_a_crash_the_batch_in_flight_is_flagged_the_rest_sent_and_a_resend_reopens_only_that_batch(
    app, fake_sendgrid, seed_article_text, marketer_client
):
    addresses = add_subscribers(app, 7)
    campaign = due_campaign(app, seed_article_text)
    message = campaign.messages[0]
    ctx = worker(app)
    ctx.email_channel.__class__ = DiesBeforeTheRequest
    DiesBeforeTheRequest.calls = 0

    with pytest.raises(KilledWorker):
        run_due_messages(db.session, ctx)
    db.session.rollback()
    # Batch 3 was written while batch 2's request was being made; its own request never left.
    assert batch_rows(message.id) == [(1, "sent", 3), (2, "in_flight", 3), (3, "in_flight", 1)]
    assert [batch(message.id, number).awaiting_request for number in (1, 2, 3)] == [False, False, True]
    # The dead worker's lease runs out.
    db.session.get(Message, message.id).lease_until = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()

    run_due_messages(db.session, worker(app))

    db.session.refresh(message)
    assert message.status == "sent"
    # Only the batch whose request may have left waits for a person; batch 3 went out without asking anyone.
    assert batch_rows(message.id) == [(1, "sent", 3), (2, "uncertain", 3), (3, "sent", 1)]
    assert "batches:requeued" in actions()
    assert db.session.get(Campaign, campaign.id).status == "sent"
    in_doubt = set(
        db.session.scalars(
            select(Subscriber.email)
            .join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .where(Delivery.status == "uncertain")
        )
    )
    assert in_doubt == set(addresses[3:6])
    assert sorted(fake_sendgrid.recipients()) == sorted(set(addresses) - in_doubt)
    page = marketer_client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Email batches to decide" in page
    assert "needs a decision" in marketer_client.get("/campaigns").get_data(as_text=True), "flagged in the list"

    add_subscriber(app, "joined-later@example.org")
    marketer_client.post(f"/campaigns/{campaign.id}/batches/{batch(message.id, 2).id}/resend")
    assert db.session.get(Campaign, campaign.id).status == "scheduled", "reopened for the resend"
    run_due_messages(db.session, worker(app))

    db.session.refresh(message)
    assert message.status == "sent" and message.sent_count == 7
    assert db.session.get(Campaign, campaign.id).status == "sent"
    received = Counter(fake_sendgrid.recipients())
    assert sorted(received) == sorted(addresses) and set(received.values()) == {1}
    assert "joined-later@example.org" not in received, "a finished send does not pick up new subscribers"
    assert "needs a decision" not in marketer_client.get("/campaigns").get_data(as_text=True)
    assert_ledger_matches(message.id)


def test_decisions_are_refused_for_batches_that_are_not_uncertain(
    app, fake_sendgrid, seed_article_text, marketer, marketer_client
):
    add_subscribers(app, 2)
    campaign = due_campaign(app, seed_article_text)
    run_due_messages(db.session, worker(app))
    sent = batch(campaign.messages[0].id, 1)

    response = marketer_client.post(f"/campaigns/{campaign.id}/batches/{sent.id}/resend", follow_redirects=True)

    assert "not uncertain" in response.get_data(as_text=True)
    assert batch_rows(campaign.messages[0].id) == [(1, "sent", 2)]
    other = draft_campaign(
        app, marketer, [campaign.sections[0].source_snippet_id], datetime.now(UTC) + timedelta(days=1)
    )
    response = marketer_client.post(f"/campaigns/{other.id}/batches/{sent.id}/mark-delivered", follow_redirects=True)
    assert "no such batch in this campaign" in response.get_data(as_text=True)
    assert batch_rows(campaign.messages[0].id) == [(1, "sent", 2)]
    assert len(fake_sendgrid.requests) == 1


def test_a_stop_while_a_resend_waits_out_a_rate_limit_queues_the_batch_again(
    app, fake_sendgrid, seed_article_text, marketer_client
):
    addresses = add_subscribers(app, 3)
    campaign = due_campaign(app, seed_article_text)
    message = campaign.messages[0]
    fake_sendgrid.respond_next(503, times=3)
    run_due_messages(db.session, worker(app))
    marketer_client.post(f"/campaigns/{campaign.id}/batches/{batch(message.id, 1).id}/resend")
    fake_sendgrid.rate_limit_next(reset_in_seconds=30)
    stopping = WorkerContext.from_config({**app.config, "SENDGRID_MAX_BACKOFF_SECONDS": 60})
    stop_after_calls(fake_sendgrid, stopping, 4)  # SIGTERM, while the resend waits out the limit

    started = time.monotonic()
    run_due_messages(db.session, stopping)
    assert time.monotonic() - started < 10, "the stop did not wait for the rate limit"
    assert [call.status for call in fake_sendgrid.calls] == [503, 503, 503, 429]

    assert batch_rows(message.id) == [(1, "resend", 3)], "queued again, not uncertain"
    assert set(db.session.scalars(select(Delivery.status).where(Delivery.message_id == message.id))) == {"resend"}
    run_due_messages(db.session, worker(app))
    db.session.refresh(message)
    assert message.status == "sent" and message.sent_count == 3
    assert sorted(fake_sendgrid.recipients()) == sorted(addresses)
    assert_ledger_matches(message.id)
