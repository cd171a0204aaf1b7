"""Hand-over: a message due at T is given to SendGrid ahead, with send_at = T and a batch_id per request, so a
request whose answer never came is cancelled at SendGrid and sent again, with nobody asked; only when that cannot be
done in time does the batch wait for a person, with the reason on the page."""

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from service.channels.email.sendgrid import SendGridEmailChannel
from service.extensions import db
from service.models import AuditEntry, Campaign, Message, SendBatch
from service.worker import email_send
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.worker.email_settings import PAST_THE_TIMEOUT, small_batches_short_timeout
from tests.worker.processes import add_subscribers, due_campaign


@pytest.fixture
def app_config(app_config, fake_sendgrid):
    return {**app_config, **small_batches_short_timeout(fake_sendgrid)}


def campaign_due_in(app, seed_article_text, minutes: float):
    campaign = due_campaign(app, seed_article_text)
    message = campaign.messages[0]
    message.send_at = (datetime.now(UTC) + timedelta(minutes=minutes)).replace(microsecond=0)
    db.session.commit()
    return campaign, message


def worker(app) -> WorkerContext:
    return WorkerContext.from_config(app.config)


def batches(message_id: int) -> list[SendBatch]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(SendBatch).where(SendBatch.message_id == message_id).order_by(SendBatch.number))
    )


def test_a_message_due_within_the_lead_is_handed_over_for_its_send_time_each_request_its_own_batch_id(
    app, fake_sendgrid, seed_article_text
):
    addresses = add_subscribers(app, 7)
    campaign, message = campaign_due_in(app, seed_article_text, 15)
    due = message.send_at

    assert run_due_messages(db.session, worker(app)) == 1

    sent = batches(message.id)
    assert [(b.status, b.scheduled_for) for b in sent] == [("sent", due)] * 3
    assert [mail.send_at for mail in fake_sendgrid.requests] == [int(due.timestamp())] * 3
    assert [mail.batch_id for mail in fake_sendgrid.requests] == [b.handover_id for b in sent]
    assert len({b.handover_id for b in sent}) == 3
    assert fake_sendgrid.recipients() == [], "nobody has it before its send time"
    received = Counter(fake_sendgrid.recipients(at=due.timestamp()))
    assert sorted(received) == sorted(addresses) and set(received.values()) == {1}
    assert db.session.get(Message, message.id).status == "sent"
    assert db.session.get(Campaign, campaign.id).status == "scheduled", "it can still be paused or cancelled"
    run_due_messages(db.session, WorkerContext.from_config(app.config, clock=lambda: due + timedelta(seconds=1)))
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == "sent", "sent once its send time came"


def test_no_batch_id_from_sendgrid_writes_nothing_and_the_send_resumes_there_later(
    app, fake_sendgrid, seed_article_text
):
    addresses = add_subscribers(app, 6)
    _, message = campaign_due_in(app, seed_article_text, 15)
    fake_sendgrid.fail_on_request(3, 503)  # the batch_id for the second batch (the first batch took two requests)

    assert run_due_messages(db.session, worker(app)) == 1

    assert [(b.number, b.status) for b in batches(message.id)] == [(1, "sent")], "nothing written for batch 2"
    left = db.session.get(Message, message.id)
    assert (left.status, left.claimed_by, left.delivery_count) == ("sending", None, 3)
    assert len(fake_sendgrid.requests) == 1
    left.lease_until = None  # SendGrid's short wait is over
    db.session.commit()
    assert run_due_messages(db.session, worker(app)) == 1
    assert [(b.number, b.status) for b in batches(message.id)] == [(1, "sent"), (2, "sent")]
    received = Counter(fake_sendgrid.recipients(at=message.send_at.timestamp()))
    assert sorted(received) == sorted(addresses) and set(received.values()) == {1}


def test_a_message_not_yet_within_the_lead_waits(app, fake_sendgrid, seed_article_text):
    add_subscribers(app, 2)
    campaign_due_in(app, seed_article_text, 25)

    assert run_due_messages(db.session, worker(app)) == 0
    assert fake_sendgrid.calls == []


def test_an_unanswered_request_is_cancelled_at_sendgrid_and_sent_again_under_a_new_batch_id(
    app, fake_sendgrid, seed_article_text
):
    addresses = add_subscribers(app, 5)
    campaign, message = campaign_due_in(app, seed_article_text, 15)
    # batch 1's mail send (after its batch id): taken after the timeout
    fake_sendgrid.hang_on_request(2, PAST_THE_TIMEOUT)

    run_due_messages(db.session, worker(app))

    assert [b.status for b in batches(message.id)] == ["sent", "sent"]
    cancelled = set(fake_sendgrid.scheduled_send_status)
    assert len(cancelled) == 1 and set(fake_sendgrid.scheduled_send_status.values()) == {"cancel"}
    assert cancelled.isdisjoint(b.handover_id for b in batches(message.id)), "sent again under a new batch_id"
    received = Counter(fake_sendgrid.recipients(at=message.send_at.timestamp()))
    assert sorted(received) == sorted(addresses) and set(received.values()) == {1}, "exactly once, nobody asked"


class DiesAfterTheRequest(SendGridEmailChannel):
    """The real channel in a worker killed just after its first request left (the answer is lost with it)."""

    def send_encoded(self, encoded, observer=None, handover=None):
        super().send_encoded(encoded, observer, handover)
        raise KilledWorker


class KilledWorker(BaseException):
    pass


def killed_after_its_first_request(app, message: Message) -> None:
    """A worker dies just after its first batch's request left, and its lease on the message runs out."""
    doomed = worker(app)
    doomed.email_channel.__class__ = DiesAfterTheRequest
    with pytest.raises(KilledWorker):
        run_due_messages(db.session, doomed)
    db.session.rollback()
    lease_runs_out(message)


def lease_runs_out(message: Message) -> None:
    db.session.get(Message, message.id).lease_until = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()


def test_a_worker_killed_in_flight_leaves_a_batch_the_next_worker_cancels_and_sends_again(
    app, fake_sendgrid, seed_article_text
):
    addresses = add_subscribers(app, 4)
    campaign, message = campaign_due_in(app, seed_article_text, 15)
    killed_after_its_first_request(app, message)

    run_due_messages(db.session, worker(app))

    assert [b.status for b in batches(message.id)] == ["sent", "sent"]
    assert list(fake_sendgrid.scheduled_send_status.values()) == ["cancel"]
    received = Counter(fake_sendgrid.recipients(at=message.send_at.timestamp()))
    assert sorted(received) == sorted(addresses) and set(received.values()) == {1}


def test_a_worker_killed_after_settling_before_it_cancels_leaves_the_cancel_to_the_next(
    app, fake_sendgrid, seed_article_text, monkeypatch
):
    addresses = add_subscribers(app, 4)
    campaign, message = campaign_due_in(app, seed_article_text, 15)
    killed_after_its_first_request(app, message)

    def killed_before_asking(*arguments):
        raise KilledWorker

    # The second worker settles the batch uncertain (committed) and dies before it asks SendGrid to cancel.
    monkeypatch.setattr(email_send, "cancel_at_sendgrid", killed_before_asking)
    with pytest.raises(KilledWorker):
        run_due_messages(db.session, worker(app))
    db.session.rollback()
    assert [b.status for b in batches(message.id)] == ["uncertain", "resend"], "settled, nothing cancelled"
    lease_runs_out(message)
    monkeypatch.undo()

    run_due_messages(db.session, worker(app))

    assert [b.status for b in batches(message.id)] == ["sent", "sent"]
    assert list(fake_sendgrid.scheduled_send_status.values()) == ["cancel"]
    received = Counter(fake_sendgrid.recipients(at=message.send_at.timestamp()))
    assert sorted(received) == sorted(addresses) and set(received.values()) == {1}


def test_batches_settled_by_a_worker_that_then_loses_the_message_keep_their_audit_line(
    app, fake_sendgrid, seed_article_text, monkeypatch
):
    add_subscribers(app, 4)
    campaign, message = campaign_due_in(app, seed_article_text, 15)
    killed_after_its_first_request(app, message)
    cancel = email_send.cancel_at_sendgrid

    def taken_over_meanwhile(session, batch, ctx):
        # Another worker takes the message over while SendGrid answers the cancel.
        with db.engine.begin() as elsewhere:
            elsewhere.execute(
                update(Message)
                .where(Message.id == message.id)
                .values(claimed_by="worker-elsewhere", lease_until=datetime.now(UTC) + timedelta(minutes=5))
            )
        return cancel(session, batch, ctx)

    monkeypatch.setattr(email_send, "cancel_at_sendgrid", taken_over_meanwhile)
    run_due_messages(db.session, worker(app))

    assert [b.status for b in batches(message.id)] == ["uncertain", "resend"], "the cancel is the next worker's"
    requeued = db.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "batches:requeued")).all()
    assert requeued == [f"message {message.id}: batch(es) 2 known not to have gone out, sent again"]


def test_a_timeout_within_the_last_ten_minutes_stays_uncertain_and_the_page_says_why(
    app, fake_sendgrid, seed_article_text, marketer_client
):
    add_subscribers(app, 4)
    campaign, message = campaign_due_in(app, seed_article_text, 5)
    fake_sendgrid.hang_on_request(2, PAST_THE_TIMEOUT)

    run_due_messages(db.session, worker(app))

    first, second = batches(message.id)
    assert (first.status, second.status) == ("uncertain", "sent")
    assert "closer than 10 minutes to its send time" in first.error
    assert fake_sendgrid.scheduled_send_status == {}
    page = marketer_client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Email batches to decide" in page and "closer than 10 minutes to its send time" in page


def test_sendgrid_refusing_the_cancel_leaves_the_batch_for_a_person_with_its_words(
    app, fake_sendgrid, seed_article_text
):
    add_subscribers(app, 2)
    campaign, message = campaign_due_in(app, seed_article_text, 15)
    fake_sendgrid.max_cancelled_batches = 0
    fake_sendgrid.hang_on_request(2, PAST_THE_TIMEOUT)

    run_due_messages(db.session, worker(app))

    [batch] = batches(message.id)
    assert batch.status == "uncertain"
    assert "could not be cancelled at SendGrid" in batch.error and "at one time" in batch.error


def test_send_now_keeps_the_direct_path(app, fake_sendgrid, seed_article_text):
    addresses = add_subscribers(app, 2)
    due_campaign(app, seed_article_text)

    run_due_messages(db.session, worker(app))

    assert [(mail.send_at, mail.batch_id) for mail in fake_sendgrid.requests] == [(None, None)]
    assert sorted(fake_sendgrid.recipients()) == sorted(addresses)


def test_cancelling_the_campaign_after_hand_over_cancels_it_at_sendgrid_and_nobody_gets_it(
    app, fake_sendgrid, seed_article_text, marketer_client
):
    add_subscribers(app, 5)
    campaign, message = campaign_due_in(app, seed_article_text, 15)
    run_due_messages(db.session, worker(app))
    handed_over = {b.handover_id for b in batches(message.id)}
    assert len(handed_over) == 2

    response = marketer_client.post(f"/campaigns/{campaign.id}/cancel", data={"confirm": "yes"}, follow_redirects=True)

    assert "cancelled there for 5" in response.get_data(as_text=True)
    assert fake_sendgrid.scheduled_send_status == dict.fromkeys(handed_over, "cancel")
    assert fake_sendgrid.recipients(at=message.send_at.timestamp() + 60) == [], "SendGrid delivers nothing"
    assert len(fake_sendgrid.cancelled_mails()) == 2
    assert [b.status for b in batches(message.id)] == ["cancelled", "cancelled"]
    assert db.session.get(Message, message.id).sent_count == 0


def test_pausing_after_hand_over_withdraws_it_and_resuming_hands_it_over_again(
    app, fake_sendgrid, seed_article_text, marketer_client
):
    addresses = add_subscribers(app, 4)
    campaign, message = campaign_due_in(app, seed_article_text, 15)
    run_due_messages(db.session, worker(app))

    marketer_client.post(f"/campaigns/{campaign.id}/pause")
    assert [b.status for b in batches(message.id)] == ["resend", "resend"]
    marketer_client.post(f"/campaigns/{campaign.id}/resume")
    run_due_messages(db.session, worker(app))

    assert [b.status for b in batches(message.id)] == ["sent", "sent"]
    received = Counter(fake_sendgrid.recipients(at=message.send_at.timestamp()))
    assert sorted(received) == sorted(addresses) and set(received.values()) == {1}


def test_no_cancel_is_tried_once_as_many_batches_are_cancelled_as_sendgrid_allows(
    app, fake_sendgrid, seed_article_text
):
    add_subscribers(app, 6)
    campaign, message = campaign_due_in(app, seed_article_text, 15)
    app.config["SENDGRID_MAX_CANCELLED_BATCHES"] = 1
    fake_sendgrid.hang_on_request(2, PAST_THE_TIMEOUT)  # batch 1: cancelled and sent again, the one cancel allowed
    # batch 2's mail send (its batch_id came before the cancel): unanswered too
    fake_sendgrid.hang_on_request(6, PAST_THE_TIMEOUT)

    run_due_messages(db.session, worker(app))

    first, second = batches(message.id)
    assert first.status == "sent" and second.status == "uncertain"
    assert "as many as it allows at once" in second.error
    assert len(fake_sendgrid.scheduled_send_status) == 1


def test_no_row_stays_locked_while_sendgrid_answers_a_cancel(app, fake_sendgrid, seed_article_text):
    addresses = add_subscribers(app, 4)
    campaign, message = campaign_due_in(app, seed_article_text, 15)
    fake_sendgrid.hang_on_request(2, PAST_THE_TIMEOUT)  # batch 1's mail send (after its batch_id): unanswered in time
    # the cancel of batch 1 (after batch 2's batch_id): slow to answer
    fake_sendgrid.hang_on_request(4, PAST_THE_TIMEOUT + 0.2)
    ctx, errors = worker(app), []

    def send() -> None:
        with app.app_context():
            try:
                run_due_messages(db.session, ctx)
            except Exception as error:  # re-raised below
                errors.append(error)

    sending = threading.Thread(target=send)
    sending.start()
    deadline = time.monotonic() + 10
    while fake_sendgrid.arrived < 4:
        assert time.monotonic() < deadline, "the worker never asked SendGrid to cancel"
        time.sleep(0.01)
    # While SendGrid holds the cancel, a person's change to the message goes through at once.
    with db.engine.begin() as other:
        if db.engine.dialect.name == "postgresql":
            other.execute(text("SET LOCAL lock_timeout = '200ms'"))
        else:
            other.exec_driver_sql("PRAGMA busy_timeout = 200")
        other.execute(update(Message).where(Message.id == message.id).values(error=None))
    sending.join(20)
    assert not sending.is_alive() and errors == []

    assert [b.status for b in batches(message.id)] == ["sent", "sent"]
    assert "cancelled" in batches(message.id)[0].error
    received = Counter(fake_sendgrid.recipients(at=message.send_at.timestamp()))
    assert sorted(received) == sorted(addresses) and set(received.values()) == {1}
