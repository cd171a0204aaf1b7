"""Confirmation emails the signup page could not send (SendGrid down) go out later from the worker's job, once,
and only while a confirmation is still expected."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.channels.registry import email_channel_for
from service.extensions import db
from service.models import Subscriber, Suppression
from service.subscribers.confirmations import send_unsent_confirmations, unsent_confirmations
from service.subscribers.identity import email_hash
from tests.factories import add_subscriber
from tests.worker.email_settings import sendgrid_settings


@pytest.fixture
def app_config(app_config, fake_sendgrid):
    return {**app_config, **sendgrid_settings(fake_sendgrid)}


def send_later(app, now: datetime) -> int:
    return send_unsent_confirmations(db.session, email_channel_for(app.config), app.config, now)


def test_a_signup_made_while_sendgrid_was_down_gets_its_confirmation_later_once(app, client, fake_sendgrid):
    fake_sendgrid.respond_next(503, times=3)  # the page's try and both retries
    response = client.post("/api/subscribe", json={"email": "ana@example.org", "first_name": "Ana", "topics": ["kap"]})
    assert response.status_code == 202, "the person is told to check their email either way"
    assert fake_sendgrid.requests == []
    subscriber = db.session.scalar(select(Subscriber).where(Subscriber.email == "ana@example.org"))
    assert (subscriber.status, subscriber.confirmation_sent_at) == ("pending", None)

    now = datetime.now(UTC)
    assert send_later(app, now) == 0, "not while the signup page may still be sending it"
    assert send_later(app, now + timedelta(minutes=3)) == 1
    assert send_later(app, now + timedelta(minutes=4)) == 0, "once"

    [mail] = fake_sendgrid.requests
    assert fake_sendgrid.recipients() == ["ana@example.org"]
    assert mail.body["categories"] == ["confirmation"]
    [confirm_path] = re.findall(r"https?://[^/\s]+(/confirm/[^\s]+)", mail.body["content"][0]["value"])
    page = client.get(confirm_path)
    assert page.status_code == 200 and "Confirm" in page.get_data(as_text=True)


def test_only_pending_unsuppressed_signups_still_expecting_a_confirmation_are_picked(app):
    now = datetime.now(UTC)

    def signup(address: str, *, asked_ago: timedelta, status: str = "pending", sent_ago: timedelta | None = None):
        subscriber = add_subscriber(app, address, status=status)
        subscriber.consent_at = now - asked_ago
        subscriber.confirmation_sent_at = None if sent_ago is None else now - sent_ago
        return subscriber

    signup("waiting@example.org", asked_ago=timedelta(minutes=10))
    signup("asked-again@example.org", asked_ago=timedelta(minutes=10), sent_ago=timedelta(days=3))
    signup("just-now@example.org", asked_ago=timedelta(seconds=30))
    signup("too-old@example.org", asked_ago=timedelta(days=2))
    signup("was-sent@example.org", asked_ago=timedelta(minutes=10), sent_ago=timedelta(minutes=9))
    signup("confirmed@example.org", asked_ago=timedelta(minutes=10), status="confirmed")
    signup("bounced@example.org", asked_ago=timedelta(minutes=10))
    db.session.add(
        Suppression(email_hash=email_hash("bounced@example.org", app.config["EMAIL_HASH_KEY"]), reason="bounced")
    )
    db.session.commit()

    picked = [subscriber.email for subscriber in unsent_confirmations(db.session, now)]

    assert picked == ["waiting@example.org", "asked-again@example.org"]
