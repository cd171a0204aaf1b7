"""POST /webhooks/sendgrid: SendGrid's signed event webhook. Signed requests are recorded once per event; anything
unsigned, tampered with or stale is refused with 403 and changes nothing."""

import base64
import hashlib
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from service.extensions import db
from service.models import Delivery, EmailEvent, Subscriber, Suppression
from service.subscribers.identity import email_hash
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.factories import add_subscriber
from tests.worker.email_settings import sendgrid_settings
from tests.worker.processes import due_campaign

URL = "/webhooks/sendgrid"
PRIVATE_KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC_KEY = base64.b64encode(
    PRIVATE_KEY.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
).decode()


@pytest.fixture
def app_config(app_config, fake_sendgrid):
    return {**app_config, **sendgrid_settings(fake_sendgrid), "SENDGRID_WEBHOOK_PUBLIC_KEY": PUBLIC_KEY}


def signed_headers(body: bytes, timestamp: int | None = None, key=PRIVATE_KEY) -> dict:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
        "Content-Type": "application/json",
    }


def post(client, events, *, headers=None, body: bytes | None = None):
    raw = body if body is not None else json.dumps(events, separators=(",", ":")).encode()
    return client.post(URL, data=raw, headers=headers if headers is not None else signed_headers(raw))


def event(name: str, email: str, message_id: int | None = None, number: int = 1, **extra) -> dict:
    values = {
        "email": email,
        "timestamp": int(time.time()),
        "event": name,
        "sg_event_id": hashlib.sha256(f"{name} {email} {number}".encode()).hexdigest()[:22],  # opaque, like SendGrid's
        "sg_message_id": "abc.filter0001",
        **extra,
    }
    if message_id is not None:
        values["message_id"] = str(message_id)
        values["batch_id"] = "1"
    return values


@pytest.fixture
def subscribers(app):
    return [add_subscriber(app, f"{name}@example.org") for name in ("ann", "ben", "cat")]


@pytest.fixture
def sent_message(app, subscribers, fake_sendgrid, seed_article_text):
    campaign = due_campaign(app, seed_article_text)
    run_due_messages(db.session, WorkerContext.from_config(app.config))
    return campaign.messages[0]


def count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def delivery_status(message_id: int, address: str) -> str:
    return db.session.scalar(
        select(Delivery.status)
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(Delivery.message_id == message_id, Subscriber.email == address)
    )


def suppressed(app, address: str) -> str | None:
    return db.session.scalar(
        select(Suppression.reason).where(Suppression.email_hash == email_hash(address, app.config["EMAIL_HASH_KEY"]))
    )


def test_a_validly_signed_batch_of_events_is_recorded_and_applied(app, client, sent_message):
    events = [
        event("processed", "ann@example.org", sent_message.id),
        event("delivered", "ann@example.org", sent_message.id),
        event("deferred", "ben@example.org", sent_message.id),
        event(
            "bounce", "cat@example.org", sent_message.id, type="bounce", reason="550 5.1.1 <cat@example.org> unknown"
        ),
        event("spamreport", "ann@example.org", sent_message.id),
    ]

    response = post(client, events)

    assert response.status_code == 200
    assert response.get_json() == {"recorded": 5, "duplicates": 0, "ignored": 0}
    assert delivery_status(sent_message.id, "ann@example.org") == "delivered"
    assert delivery_status(sent_message.id, "ben@example.org") == "deferred"
    assert delivery_status(sent_message.id, "cat@example.org") == "bounced"
    assert suppressed(app, "cat@example.org") == "bounced"
    assert suppressed(app, "ann@example.org") == "complained"
    assert suppressed(app, "ben@example.org") is None
    statuses = dict(db.session.execute(select(Subscriber.email, Subscriber.status)).all())
    assert statuses == {"ann@example.org": "complained", "ben@example.org": "confirmed", "cat@example.org": "bounced"}
    stored = db.session.scalars(select(EmailEvent)).all()
    assert {e.message_id for e in stored} == {sent_message.id}
    assert all(e.delivery_id and e.subscriber_id for e in stored)
    columns = EmailEvent.__table__.columns.keys()
    assert not any("@" in str(getattr(e, column)) for e in stored for column in columns), "no address is kept"


def test_a_tampered_body_is_refused_and_changes_nothing(app, client, subscribers):
    raw = json.dumps([event("bounce", "ann@example.org", type="bounce")]).encode()
    headers = signed_headers(raw)
    tampered = raw.replace(b"ann@example.org", b"ben@example.org")

    response = post(client, None, body=tampered, headers=headers)

    assert response.status_code == 403
    assert count(EmailEvent) == 0 and count(Suppression) == 0
    assert {subscriber.status for subscriber in db.session.scalars(select(Subscriber))} == {"confirmed"}
    assert post(client, None, body=raw, headers=headers).status_code == 200, "the untouched body was fine"


def test_the_signature_covers_the_raw_bytes_not_reserialised_json(client, sent_message):
    raw = (
        b'[ {"event": "delivered",  "email": "ann@example.org", "sg_event_id": "spaced-1",\n "message_id": "%d"} ]'
        % (sent_message.id)
    )

    assert post(client, None, body=raw, headers=signed_headers(raw)).status_code == 200
    assert post(client, None, body=raw.replace(b"  ", b" "), headers=signed_headers(raw)).status_code == 403


@pytest.mark.parametrize(
    "headers_for",
    [
        pytest.param(lambda raw: {}, id="no signature"),
        pytest.param(lambda raw: {**signed_headers(raw), "X-Twilio-Email-Event-Webhook-Signature": ""}, id="empty"),
        pytest.param(
            lambda raw: {**signed_headers(raw), "X-Twilio-Email-Event-Webhook-Signature": "not base64!"}, id="garbage"
        ),
        pytest.param(lambda raw: signed_headers(raw, key=ec.generate_private_key(ec.SECP256R1())), id="other key"),
        pytest.param(lambda raw: signed_headers(raw, timestamp=int(time.time()) - 301), id="stale"),
        # A minute past the limit: the request reaches the check seconds after this line on a loaded machine,
        # and every second of that brings a future timestamp back inside the five minutes allowed.
        pytest.param(lambda raw: signed_headers(raw, timestamp=int(time.time()) + 360), id="from the future"),
        pytest.param(
            lambda raw: {**signed_headers(raw), "X-Twilio-Email-Event-Webhook-Timestamp": "soon"}, id="bad time"
        ),
    ],
)
def test_missing_bad_or_stale_signatures_get_403(client, subscribers, headers_for):
    raw = json.dumps([event("unsubscribe", "ann@example.org")]).encode()

    response = post(client, None, body=raw, headers=headers_for(raw))

    assert response.status_code == 403
    assert count(EmailEvent) == 0 and count(Suppression) == 0


def test_the_timestamp_is_signed_so_it_cannot_be_refreshed_on_a_replay(client, subscribers):
    raw = json.dumps([event("unsubscribe", "ann@example.org")]).encode()
    old = signed_headers(raw, timestamp=int(time.time()) - 3600)
    refreshed = {**old, "X-Twilio-Email-Event-Webhook-Timestamp": str(int(time.time()))}

    assert post(client, None, body=raw, headers=refreshed).status_code == 403


def test_a_replayed_event_is_counted_once(app, client, sent_message, marketer_client):
    events = [
        event("delivered", "ann@example.org", sent_message.id),
        event("bounce", "ben@example.org", sent_message.id),
    ]

    first = post(client, events)
    again = post(client, events)
    overlapping = post(client, [*events, event("delivered", "cat@example.org", sent_message.id)])

    assert first.get_json() == {"recorded": 2, "duplicates": 0, "ignored": 0}
    assert again.status_code == 200 and again.get_json() == {"recorded": 0, "duplicates": 2, "ignored": 0}
    assert overlapping.get_json() == {"recorded": 1, "duplicates": 2, "ignored": 0}
    assert count(EmailEvent) == 3
    assert count(EmailEvent, EmailEvent.event == "delivered") == 2
    page = marketer_client.get(f"/campaigns/{sent_message.campaign_id}").get_data(as_text=True)
    assert "<dt>Delivered</dt><dd>2</dd>" in page
    assert "<dt>Bounced</dt><dd>1</dd>" in page
    assert "<dt>Sent</dt><dd>3 emails (one per recipient)</dd>" in page


def test_the_same_event_twice_in_one_payload_is_recorded_once(client, subscribers):
    delivered = event("delivered", "ann@example.org")

    assert post(client, [delivered, delivered]).get_json() == {"recorded": 1, "duplicates": 1, "ignored": 0}


def test_unsubscribe_events_unsubscribe_and_a_temporary_block_suppresses_nothing(app, client, sent_message):
    events = [
        event("unsubscribe", "ann@example.org", sent_message.id),
        event("group_unsubscribe", "ben@example.org", sent_message.id, asm_group_id=1),
        event("bounce", "cat@example.org", sent_message.id, type="blocked"),
        event("dropped", "outsider@example.com", None, reason="Bounced Address"),
    ]

    assert post(client, events).status_code == 200

    statuses = dict(db.session.execute(select(Subscriber.email, Subscriber.status)).all())
    assert statuses == {
        "ann@example.org": "unsubscribed",
        "ben@example.org": "unsubscribed",
        "cat@example.org": "confirmed",
    }
    assert suppressed(app, "ann@example.org") == "unsubscribed"
    assert suppressed(app, "cat@example.org") is None
    assert delivery_status(sent_message.id, "cat@example.org") == "blocked"
    assert suppressed(app, "outsider@example.com") == "dropped", "SendGrid's own suppressions are mirrored"


def test_a_payloads_suppressions_outrank_an_unsubscribe_and_never_lift_a_bounce(app, client, subscribers):
    key = app.config["EMAIL_HASH_KEY"]
    db.session.add_all(
        [
            Suppression(email_hash=email_hash("ann@example.org", key), reason="unsubscribed"),
            Suppression(email_hash=email_hash("ben@example.org", key), reason="bounced"),
            Suppression(email_hash=email_hash("gone@example.org", key), reason="erased"),
        ]
    )
    db.session.commit()
    events = [
        event("bounce", "ann@example.org", type="bounce"),
        event("unsubscribe", "ben@example.org"),
        event("spamreport", "gone@example.org"),
        event("unsubscribe", "cat@example.org"),
        event("dropped", "new@example.com"),
    ]

    assert post(client, events).get_json()["recorded"] == 5

    assert suppressed(app, "ann@example.org") == "bounced", "a bounce outranks an unsubscribe"
    assert suppressed(app, "ben@example.org") == "bounced", "an unsubscribe never lifts a bounce"
    assert suppressed(app, "gone@example.org") == "erased", "nothing outranks an erasure"
    assert suppressed(app, "cat@example.org") == "unsubscribed"
    assert suppressed(app, "new@example.com") == "dropped"
    assert count(Suppression) == 5


def test_a_late_deferral_does_not_undo_a_delivery(client, sent_message):
    post(client, [event("delivered", "ann@example.org", sent_message.id)])
    post(client, [event("deferred", "ann@example.org", sent_message.id)])

    assert delivery_status(sent_message.id, "ann@example.org") == "delivered"


def test_opens_and_clicks_are_ignored_while_tracking_is_off(client, subscribers):
    events = [event("open", "ann@example.org"), event("click", "ann@example.org")]

    assert post(client, events).get_json() == {"recorded": 0, "duplicates": 0, "ignored": 2}
    assert count(EmailEvent) == 0


def test_opens_and_clicks_are_counted_when_tracking_is_on(app, client, sent_message, marketer_client):
    app.config["TRACKING_ENABLED"] = True
    events = [
        event("open", "ann@example.org", sent_message.id),
        event("open", "ann@example.org", sent_message.id, number=2),
        event("click", "ben@example.org", sent_message.id, url="https://www.daytryphealth.com/"),
    ]

    assert post(client, events).get_json() == {"recorded": 3, "duplicates": 0, "ignored": 0}
    page = marketer_client.get(f"/campaigns/{sent_message.campaign_id}").get_data(as_text=True)
    assert "<dt>Opens</dt><dd>2</dd>" in page and "<dt>Clicks</dt><dd>1</dd>" in page


def test_a_signed_body_that_is_not_a_list_of_events_is_a_400(client):
    raw = b'{"event": "delivered"}'

    assert post(client, None, body=raw, headers=signed_headers(raw)).status_code == 400
    assert count(EmailEvent) == 0


def test_without_a_configured_key_every_request_is_refused(app, client):
    app.config["SENDGRID_WEBHOOK_PUBLIC_KEY"] = None
    raw = b"[]"

    assert post(client, None, body=raw, headers=signed_headers(raw)).status_code == 403


def test_the_webhook_needs_no_login_or_csrf_token(app, client, subscribers):
    app.config["WTF_CSRF_ENABLED"] = True
    raw = json.dumps([event("delivered", "ann@example.org")]).encode()

    assert post(client, None, body=raw, headers=signed_headers(raw)).status_code == 200
