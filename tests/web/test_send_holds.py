"""Deliverability guardrails: a send whose complaints pass the hold rate holds the next email send until an admin
acknowledges in writing; the hold and the release are audit-logged; the held send then goes out."""

import hashlib
import json
import time

import pytest
from sqlalchemy import event as sql_event
from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry, Delivery, Message, SendHold
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.factories import add_subscriber, make_user
from tests.fakes.sendgrid_event_signer import EventSigner
from tests.worker.email_settings import sendgrid_settings
from tests.worker.processes import due_campaign

SIGNER = EventSigner()
ADDRESSES = [f"reader{number}@example.org" for number in range(4)]


@pytest.fixture
def app_config(app_config, fake_sendgrid):
    return {**app_config, **sendgrid_settings(fake_sendgrid), "SENDGRID_WEBHOOK_PUBLIC_KEY": SIGNER.public_key}


@pytest.fixture
def first_send(app, fake_sendgrid, seed_article_text):
    for address in ADDRESSES:
        add_subscriber(app, address)
    campaign = due_campaign(app, seed_article_text)
    run_due_messages(db.session, WorkerContext.from_config(app.config))
    return campaign.messages[0]


def post_events(client, events: list[dict]):
    body = json.dumps(events, separators=(",", ":")).encode()
    return client.post("/webhooks/sendgrid", data=body, headers=SIGNER.headers(body))


def event(name: str, email: str, message_id: int) -> dict:
    return {
        "email": email,
        "timestamp": int(time.time()),
        "event": name,
        "sg_event_id": hashlib.sha256(f"{name} {email} {message_id}".encode()).hexdigest()[:22],
        "message_id": str(message_id),
    }


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def one_complaint_in_four(client, message_id: int) -> None:
    delivered = [event("delivered", address, message_id) for address in ADDRESSES]
    assert post_events(client, [*delivered, event("spamreport", ADDRESSES[0], message_id)]).status_code == 200


def test_complaints_past_the_hold_rate_hold_the_next_send_until_an_admin_releases_it(
    app, client, auth, first_send, fake_sendgrid, seed_article_text
):
    one_complaint_in_four(client, first_send.id)  # 25% of delivered: far past 0.3%
    assert "email sends held" in audit_actions()

    next_campaign = due_campaign(app, seed_article_text)
    requests_before = len(fake_sendgrid.requests)
    run_due_messages(db.session, WorkerContext.from_config(app.config))

    held = db.session.get(Message, next_campaign.messages[0].id, populate_existing=True)
    assert held.status == "planned" and held.sent_count == 0
    assert len(fake_sendgrid.requests) == requests_before

    admin = make_user("admin@example.org", "admin")
    auth.login(admin)
    page = client.get(f"/campaigns/{next_campaign.id}").get_data(as_text=True)
    assert "held" in page and "spam complaints at 25.00%" in page
    refused = client.post("/deliverability/release", data={"acknowledgement": "ok"})
    assert refused.status_code == 400 and "at least 20 characters" in refused.get_data(as_text=True)
    released = client.post(
        "/deliverability/release",
        data={"acknowledgement": "Checked the complaint: one reader who forgot signing up; list is opt-in."},
    )
    assert released.status_code == 302
    assert audit_actions()[-1] == "email sends released"

    run_due_messages(db.session, WorkerContext.from_config(app.config))
    sent = db.session.get(Message, next_campaign.messages[0].id, populate_existing=True)
    assert sent.status == "sent" and sent.sent_count == len(ADDRESSES) - 1  # the complainer is suppressed


def test_only_an_admin_releases_held_sends(app, client, auth, first_send, marketer):
    one_complaint_in_four(client, first_send.id)
    auth.login(marketer)

    response = client.post("/deliverability/release", data={"acknowledgement": "I think it is fine, please go on."})

    assert response.status_code == 403
    assert "email sends released" not in audit_actions()


def test_a_replayed_complaint_does_not_hold_twice(app, client, first_send):
    one_complaint_in_four(client, first_send.id)
    one_complaint_in_four(client, first_send.id)

    assert audit_actions().count("email sends held") == 1


def bounce(email: str, message_id: int) -> dict:
    return {**event("bounce", email, message_id), "type": "bounce"}


def add_skipped_deliveries(app, message_id: int, count: int) -> None:
    """Recipients a resend skipped: deliveries the sent count leaves out, which the hard-bounce rate divides by."""
    for number in range(count):
        subscriber = add_subscriber(app, f"skipped{number}@example.org")
        db.session.add(Delivery(message_id=message_id, subscriber_id=subscriber.id, channel="email", status="skipped"))
    message = db.session.get(Message, message_id)
    message.delivery_count += count  # as the send ledger keeps it
    db.session.commit()


def held_reasons() -> list[str]:
    return list(db.session.scalars(select(SendHold.reason)))


def test_hard_bounces_past_the_limit_of_all_recipients_hold_the_next_send(app, client, first_send):
    add_skipped_deliveries(app, first_send.id, 16)  # 20 recipients, 4 of them counted as sent
    # 1 of 20 is 5%, not past the 5% limit (though 1 of the 4 sent would be).
    assert post_events(client, [bounce(ADDRESSES[0], first_send.id)]).status_code == 200
    assert held_reasons() == []
    assert post_events(client, [bounce(ADDRESSES[1], first_send.id)]).status_code == 200
    assert held_reasons() == ["hard bounces at 10.00% of recipients (2 of 20), above the 5% limit"]


def test_events_of_a_healthy_send_do_not_count_its_deliveries(app, client, first_send):
    statements = []
    sql_event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    delivered = [event("delivered", address, first_send.id) for address in ADDRESSES]
    assert post_events(client, delivered).status_code == 200
    assert not any("count(" in sql.lower() and "from deliveries" in sql.lower() for sql in statements)
    assert held_reasons() == []
