"""A person presses Resend just as the worker, having found nothing more to resend, records the message sent: the
resend is never lost (it was, for good: the message showed sent and the batch stayed "resend queued")."""

import threading
from collections import Counter

import pytest
from sqlalchemy import event, select

from service.extensions import db
from service.models import Message, SendBatch
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.worker.email_settings import sendgrid_settings
from tests.worker.processes import add_subscribers, due_campaign


@pytest.fixture
def app_config(app_config, fake_sendgrid):
    return {**app_config, **sendgrid_settings(fake_sendgrid, EMAIL_BATCH_SIZE=2)}


def batch_statuses(message_id: int) -> list[tuple[int, str]]:
    db.session.expire_all()
    rows = db.session.scalars(select(SendBatch).where(SendBatch.message_id == message_id).order_by(SendBatch.number))
    return [(each.number, each.status) for each in rows]


class PersonPressesResendAsTheMessageIsRecordedSent:
    """Holds the worker at the statement that records the message sent, and meanwhile a person, in a request of
    their own, presses Resend. The person's request may wait on the worker's transaction; the worker goes on after
    a moment either way (as it would in real life), and the request completes once the worker commits."""

    def __init__(self, engine, press):
        self.engine, self.press, self.person = engine, press, None

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self.hold)
        return self

    def __exit__(self, *exc_info):
        event.remove(self.engine, "before_cursor_execute", self.hold)
        if self.person is not None:
            self.person.join(10)

    def hold(self, conn, cursor, statement, parameters, context, executemany):
        if self.person is not None or not statement.startswith("UPDATE messages SET status"):
            return
        values = parameters.values() if isinstance(parameters, dict) else parameters
        if "sent" not in values:
            return
        self.person = threading.Thread(target=self.press, daemon=True)
        self.person.start()
        self.person.join(1.0)


def test_a_resend_pressed_as_the_worker_records_the_message_sent_still_goes_out(
    app, fake_sendgrid, seed_article_text, marketer_client
):
    addresses = add_subscribers(app, 6)
    campaign = due_campaign(app, seed_article_text)
    message_id = campaign.messages[0].id
    fake_sendgrid.respond_next(503, times=6)  # batches 1 and 2: every try refused, so each waits for a person
    run_due_messages(db.session, WorkerContext.from_config(app.config))
    first, second = (batch_id(message_id, number) for number in (1, 2))
    assert batch_statuses(message_id) == [(1, "uncertain"), (2, "uncertain"), (3, "sent")]
    # A first resend reopens the finished message; once the worker has resent batch 2 it finds nothing more to
    # resend and records the message sent: that is when the person presses Resend on batch 1.
    marketer_client.post(f"/campaigns/{campaign.id}/batches/{second}/resend")

    def press_resend_on_batch_1():
        marketer_client.post(f"/campaigns/{campaign.id}/batches/{first}/resend")

    with PersonPressesResendAsTheMessageIsRecordedSent(db.engine, press_resend_on_batch_1) as race:
        run_due_messages(db.session, WorkerContext.from_config(app.config))
    assert race.person is not None, "the worker was never held"
    run_due_messages(db.session, WorkerContext.from_config(app.config))

    assert batch_statuses(message_id) == [(1, "sent"), (2, "sent"), (3, "sent")]
    db.session.expire_all()
    assert db.session.get(Message, message_id).status == "sent"
    received = Counter(fake_sendgrid.recipients())
    assert sorted(received) == sorted(addresses) and set(received.values()) == {1}


def batch_id(message_id: int, number: int) -> int:
    return db.session.scalar(select(SendBatch.id).where(SendBatch.message_id == message_id, SendBatch.number == number))
