"""A worker whose SendGrid request outlasts its lease: another worker takes the message over and finishes it, and the
first worker's late outcome (a refusal, no answer, an acceptance) leaves the message as the new owner left it. The
first worker records only what its request taught about its own batch. Nobody gets the email twice, nobody is lost."""

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from service.channels.email.sendgrid import SendGridEmailChannel
from service.extensions import db
from service.models import Delivery, Message, SendBatch
from service.worker.claims import claim_next_message
from service.worker.dispatch import run_due_messages
from service.worker.email_send import send_email_message
from tests.worker import slow_worker
from tests.worker.email_settings import PAST_THE_TIMEOUT, small_batches_short_timeout
from tests.worker.processes import add_subscribers, due_campaign
from tests.worker.slow_worker import leases_run_out, worker_b


@pytest.fixture
def app_config(app_config, fake_sendgrid):
    return {**app_config, **small_batches_short_timeout(fake_sendgrid)}


class FirstOutcomeReachesTheWorkerLate(SendGridEmailChannel):
    """The real channel; what its first batch's request came to (SendGrid's answer, or none in time) reaches the
    worker only once the test sets `late`: a request slow past the worker's lease, told in steps."""

    def send_encoded(self, encoded, observer=None, handover=None):
        first = not self.came_back.is_set()
        try:
            return super().send_encoded(encoded, observer, handover)
        finally:
            if first:
                self.came_back.set()
                self.late.wait(30)


class SlowWorker(slow_worker.SlowWorker):
    """Worker A on email. `waits_to_retry`: instead of a late answer, its wait before trying a refused request
    again lasts until `late` is set."""

    channel_name = "email_channel"

    def __init__(self, app, *, waits_to_retry: bool = False):
        super().__init__(app)
        channel = self.channel
        if waits_to_retry:
            channel.stop, channel.sleep = None, lambda seconds: (channel.came_back.set(), channel.late.wait(30))
        else:
            channel.__class__ = FirstOutcomeReachesTheWorkerLate

    def start_and_wait_for_its_request(self) -> None:
        """Also until worker A has written its second batch, ahead of that batch's request, while the first one's
        request is out (renewing its lease as it does): from then on it only waits for the first one's outcome."""
        super().start_and_wait_for_its_request()
        deadline = time.monotonic() + 10
        while db.session.scalar(select(func.count()).select_from(SendBatch)) < 2:
            assert time.monotonic() < deadline, "worker A never wrote its second batch"
            db.session.rollback()
            time.sleep(0.01)
        db.session.rollback()


def message_state(message_id: int) -> tuple:
    db.session.expire_all()
    message = db.session.get(Message, message_id)
    return message.status, message.claimed_by, message.lease_until, message.error, message.sent_count


def batch_rows(message_id: int) -> list[tuple[int, str]]:
    db.session.expire_all()
    rows = db.session.scalars(select(SendBatch).where(SendBatch.message_id == message_id).order_by(SendBatch.number))
    return [(each.number, each.status) for each in rows]


def batch(message_id: int, number: int) -> SendBatch:
    return db.session.scalar(select(SendBatch).where(SendBatch.message_id == message_id, SendBatch.number == number))


def assert_ledger_matches(message_id: int) -> None:
    """Every batch's deliveries carry its status, and the message counts exactly its sent deliveries."""
    db.session.expire_all()
    sent = (
        select(func.count()).select_from(Delivery).where(Delivery.message_id == message_id, Delivery.status == "sent")
    )
    assert db.session.scalar(sent) == db.session.get(Message, message_id).sent_count
    for each in db.session.scalars(select(SendBatch).where(SendBatch.message_id == message_id)):
        statuses = set(
            db.session.scalars(
                select(Delivery.status).where(Delivery.batch_id == each.id, Delivery.status != "skipped")
            )
        )
        assert statuses <= {each.status}, f"batch {each.number} is {each.status}, its deliveries {statuses}"


def wait_for_requests(fake, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(fake.requests) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def assert_each_received_once(fake_sendgrid, addresses: list[str], at: float | None = None) -> None:
    received = Counter(fake_sendgrid.recipients(at=at))
    assert sorted(received) == sorted(addresses), "nobody is lost"
    assert set(received.values()) == {1}, "nobody gets it twice"


def test_a_late_permanent_refusal_leaves_the_message_the_new_owner_finished_and_marks_its_batch_not_sent(
    app, fake_sendgrid, seed_article_text, marketer_client
):
    addresses = add_subscribers(app, 6)
    campaign = due_campaign(app, seed_article_text)
    message_id = campaign.messages[0].id
    fake_sendgrid.fail_on_request(1, 400)  # worker A's batch 1: refused, but the answer comes after its lease
    slow = SlowWorker(app)
    slow.start_and_wait_for_its_request()
    leases_run_out(message_id)

    assert run_due_messages(db.session, worker_b(app)) == 1
    finished_by_b = message_state(message_id)
    assert finished_by_b[:2] == ("sent", None)
    # Worker B found batch 1 in flight with no answer recorded: it may have gone out, so a person decides.
    assert batch_rows(message_id) == [(1, "uncertain"), (2, "sent")]
    slow.finish()

    assert message_state(message_id) == finished_by_b, "worker A's late failure changed the message B finished"
    assert batch_rows(message_id) == [(1, "uncertain"), (2, "sent")]
    refused = batch(message_id, 1)
    assert refused.refused and "400" in refused.error, "what worker A learned: SendGrid did not take batch 1"
    page = marketer_client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "nobody gets it twice" in page
    assert_ledger_matches(message_id)

    marketer_client.post(f"/campaigns/{campaign.id}/batches/{refused.id}/resend")
    run_due_messages(db.session, worker_b(app))

    assert batch_rows(message_id) == [(1, "sent"), (2, "sent")]
    assert message_state(message_id)[:2] == ("sent", None)
    assert_each_received_once(fake_sendgrid, addresses)
    assert_ledger_matches(message_id)


def test_a_late_refusal_that_comes_before_the_new_owner_settles_the_batch_has_it_sent_again_by_itself(
    app, fake_sendgrid, seed_article_text
):
    addresses = add_subscribers(app, 5)
    campaign = due_campaign(app, seed_article_text)
    message_id = campaign.messages[0].id
    fake_sendgrid.fail_on_request(1, 400)
    slow = SlowWorker(app)
    slow.start_and_wait_for_its_request()
    leases_run_out(message_id)
    # Worker B claims the message; worker A's answer arrives before B looks at the batches.
    b = worker_b(app)
    now = b.clock()
    assert claim_next_message(db.session, b.worker_id, now, now - timedelta(hours=6), lease=b.lease) == message_id
    slow.finish()

    assert message_state(message_id)[:2] == ("sending", "worker-b"), "the message and its claim stay worker B's"
    assert batch_rows(message_id) == [(1, "in_flight"), (2, "in_flight")] and batch(message_id, 1).refused
    assert batch(message_id, 2).awaiting_request, "worker A wrote batch 2 while its request was out, and sent none"
    # Worker B goes on with the message it claimed.
    assert send_email_message(db.session, db.session.get(Message, message_id), b) == "sent"

    assert batch_rows(message_id) == [(1, "sent"), (2, "sent")]
    assert message_state(message_id)[:2] == ("sent", None)
    assert_each_received_once(fake_sendgrid, addresses)
    assert_ledger_matches(message_id)


def test_a_late_unanswered_request_leaves_the_batch_the_new_owner_cancelled_and_sent_again(
    app, fake_sendgrid, seed_article_text
):
    addresses = add_subscribers(app, 5)
    campaign = due_campaign(app, seed_article_text)
    message = campaign.messages[0]
    message.send_at = (datetime.now(UTC) + timedelta(minutes=15)).replace(microsecond=0)
    db.session.commit()
    # batch 1's mail send (after its batch id): taken after A's timeout
    fake_sendgrid.hang_on_request(2, PAST_THE_TIMEOUT)
    slow = SlowWorker(app)
    slow.start_and_wait_for_its_request()
    leases_run_out(message.id)
    wait_for_requests(fake_sendgrid, 1)  # SendGrid takes worker A's request in the end

    run_due_messages(db.session, worker_b(app))
    finished_by_b = message_state(message.id)
    assert finished_by_b[:2] == ("sent", None)
    # Worker B cancelled worker A's hand-over at SendGrid and sent batch 1 again under a batch_id of its own.
    assert batch_rows(message.id) == [(1, "sent"), (2, "sent")]
    slow.finish()

    assert message_state(message.id) == finished_by_b, "worker A's late outcome changed the message B finished"
    assert batch_rows(message.id) == [(1, "sent"), (2, "sent")], "worker A's late outcome changed B's batch"
    assert list(fake_sendgrid.scheduled_send_status.values()) == ["cancel"], "only worker A's request was cancelled"
    assert_each_received_once(fake_sendgrid, addresses, at=message.send_at.timestamp())
    assert_ledger_matches(message.id)


def test_a_late_acceptance_settles_the_batch_the_new_owner_had_to_leave_uncertain(
    app, fake_sendgrid, seed_article_text, marketer_client
):
    addresses = add_subscribers(app, 6)
    campaign = due_campaign(app, seed_article_text)
    message_id = campaign.messages[0].id
    slow = SlowWorker(app)
    slow.start_and_wait_for_its_request()
    leases_run_out(message_id)

    run_due_messages(db.session, worker_b(app))
    assert batch_rows(message_id) == [(1, "uncertain"), (2, "sent")]
    slow.finish()

    assert batch_rows(message_id) == [(1, "sent"), (2, "sent")], "what worker A learned: SendGrid took batch 1"
    assert message_state(message_id)[:2] == ("sent", None)
    assert message_state(message_id)[4] == 6
    assert "needs a decision" not in marketer_client.get("/campaigns").get_data(as_text=True)
    assert_each_received_once(fake_sendgrid, addresses)
    assert_ledger_matches(message_id)


def test_a_worker_whose_message_was_taken_over_while_it_waited_to_try_again_tries_no_more(
    app, fake_sendgrid, seed_article_text
):
    addresses = add_subscribers(app, 5)
    campaign = due_campaign(app, seed_article_text)
    message_id = campaign.messages[0].id
    fake_sendgrid.respond_next(503)  # worker A's first try at batch 1; it waits to try again, past its lease
    slow = SlowWorker(app, waits_to_retry=True)
    slow.start_and_wait_for_its_request()
    leases_run_out(message_id)

    run_due_messages(db.session, worker_b(app))
    # SendGrid had refused batch 1 and worker A had recorded it: worker B sent it again, nobody asked.
    assert batch_rows(message_id) == [(1, "sent"), (2, "sent")]
    finished_by_b = message_state(message_id)
    slow.finish()

    assert message_state(message_id) == finished_by_b
    assert batch_rows(message_id) == [(1, "sent"), (2, "sent")]
    assert len(fake_sendgrid.calls) == 3, "worker A did not try batch 1 again"
    assert_each_received_once(fake_sendgrid, addresses)
    assert_ledger_matches(message_id)
