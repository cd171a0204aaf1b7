"""A send hold that lands in the middle of a multi-batch email send (SQLite and PostgreSQL, the real SendGrid client
against the fake): the batches already handed over stay sent, the rest of the audience is held, nobody is lost or
mailed twice; once an admin releases the hold, the send goes on from where it stopped and sends the rest once."""

import contextvars
import hashlib
import json
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from service.channels.email.sendgrid import SendGridEmailChannel
from service.extensions import db
from service.models import Delivery, Message, SendBatch, SendHold
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.factories import make_user
from tests.fakes.sendgrid_event_signer import EventSigner
from tests.worker.email_settings import sendgrid_settings
from tests.worker.processes import add_subscribers, due_campaign

SIGNER = EventSigner()
BATCH_SIZE = 3


@pytest.fixture
def app_config(app_config, fake_sendgrid):
    return {
        **app_config,
        **sendgrid_settings(fake_sendgrid, EMAIL_BATCH_SIZE=BATCH_SIZE),
        "SENDGRID_WEBHOOK_PUBLIC_KEY": SIGNER.public_key,
    }


class ComplaintsArriveMidSend(SendGridEmailChannel):
    """The real channel; right after its `after_batches`-th batch, SendGrid's webhook brings the complaints about an
    earlier send (through the signed webhook, in a request of its own, as in production)."""

    @classmethod
    def wrap(cls, channel: SendGridEmailChannel, after_batches: int, deliver_events) -> "ComplaintsArriveMidSend":
        channel.__class__ = cls
        channel.after_batches, channel.deliver_events, channel.batches = after_batches, deliver_events, 0
        return channel

    def send_encoded(self, encoded, observer=None, handover=None):
        provider_id = super().send_encoded(encoded, observer, handover)
        self.batches += 1
        if self.batches == self.after_batches:
            # In a context of its own, as a web process's request is: not the worker's application context (and
            # session), which the request thread shares.
            contextvars.Context().run(self.deliver_events)
        return provider_id


def signed_events(client, events: list[dict]) -> None:
    body = json.dumps(events, separators=(",", ":")).encode()
    assert client.post("/webhooks/sendgrid", data=body, headers=SIGNER.headers(body)).status_code == 200


def event(name: str, email: str, message_id: int) -> dict:
    return {
        "email": email,
        "timestamp": int(time.time()),
        "event": name,
        "sg_event_id": hashlib.sha256(f"{name} {email} {message_id}".encode()).hexdigest()[:22],
        "message_id": str(message_id),
    }


def recipients_of(fake_sendgrid, first_request: int) -> list[str]:
    return [
        personalization["to"][0]["email"]
        for mail in fake_sendgrid.requests[first_request:]
        for personalization in mail.body["personalizations"]
    ]


def batches(message_id: int) -> list[tuple[str, int]]:
    db.session.expire_all()
    rows = db.session.scalars(select(SendBatch).where(SendBatch.message_id == message_id).order_by(SendBatch.number))
    return [(batch.status, batch.recipient_count) for batch in rows]


def test_a_hold_mid_send_keeps_the_sent_batches_holds_the_rest_and_resuming_sends_it_once(
    app, client, auth, fake_sendgrid, seed_article_text
):
    earlier_readers = add_subscribers(app, 4)
    earlier = due_campaign(app, seed_article_text).messages[0]
    run_due_messages(db.session, WorkerContext.from_config(app.config))
    audience = earlier_readers + add_subscribers(app, 7, domain="example.net")  # 11: batches of 3, 3, 3, 2
    message = due_campaign(app, seed_article_text).messages[0]
    first_request = len(fake_sendgrid.requests)
    # One complaint in four delivered (25%, far past 0.3%), from a reader the new send's first batch already has.
    complaints = [event("delivered", address, earlier.id) for address in earlier_readers]
    complaints.append(event("spamreport", earlier_readers[0], earlier.id))
    ctx = WorkerContext.from_config(app.config)
    ComplaintsArriveMidSend.wrap(ctx.email_channel, 2, lambda: signed_events(client, complaints))

    run_due_messages(db.session, ctx)

    held = db.session.get(Message, message.id, populate_existing=True)
    assert db.session.scalar(select(func.count()).select_from(SendHold)) == 1
    assert (held.status, held.sent_count, held.claimed_by) == ("sending", 2 * BATCH_SIZE, None)
    assert batches(message.id) == [("sent", BATCH_SIZE), ("sent", BATCH_SIZE)]
    assert recipients_of(fake_sendgrid, first_request) == audience[: 2 * BATCH_SIZE]
    run_due_messages(db.session, WorkerContext.from_config(app.config))
    assert len(fake_sendgrid.requests) == first_request + 2, "nothing more goes out while the hold stands"

    auth.login(make_user("admin@example.org", "admin"))
    released = client.post(
        "/deliverability/release",
        data={"acknowledgement": "One reader forgot signing up; the list is double opt-in, sending may go on."},
    )
    assert released.status_code == 302
    run_due_messages(db.session, WorkerContext.from_config(app.config))

    sent = db.session.get(Message, message.id, populate_existing=True)
    assert (sent.status, sent.sent_count) == ("sent", len(audience))
    assert batches(message.id) == [("sent", 3), ("sent", 3), ("sent", 3), ("sent", 2)]
    received = Counter(recipients_of(fake_sendgrid, first_request))
    assert sorted(received) == sorted(audience) and set(received.values()) == {1}, "each once, nobody lost"
    deliveries = select(func.count()).select_from(Delivery).where(Delivery.message_id == message.id)
    assert db.session.scalar(deliveries) == len(audience)
