"""Email messages sent by the worker through the real SendGrid client to the fake SendGrid server, on both
databases: who receives, how batches become requests, what each request carries, pause and resume."""

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.campaigns import lifecycle
from service.channels.email.sendgrid import SendGridEmailChannel
from service.extensions import db
from service.models import Campaign, Delivery, Message, SendBatch, Suppression, User
from service.models.subscribers import new_public_id
from service.outgoing.links import UnsubscribeLinks, unsubscribe_url
from service.rendering.clinic import ClinicInfo
from service.settings import PLACEHOLDER_POSTAL_ADDRESS
from service.subscribers.identity import email_hash
from service.subscribers.tokens import TokenError, read_token
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.factories import add_subscriber
from tests.worker.email_settings import sendgrid_settings, stop_after_calls
from tests.worker.processes import add_subscribers, due_campaign


@pytest.fixture
def app_config(app_config, fake_sendgrid):
    return {**app_config, **sendgrid_settings(fake_sendgrid)}


def worker(app, **settings) -> WorkerContext:
    return WorkerContext.from_config({**app.config, **settings})


def batches(message_id: int, status: str | None = None) -> list[SendBatch]:
    query = select(SendBatch).where(SendBatch.message_id == message_id).order_by(SendBatch.number)
    if status:
        query = query.where(SendBatch.status == status)
    return list(db.session.scalars(query))


def test_only_confirmed_unsuppressed_subscribers_of_the_topics_receive_and_2500_take_3_requests(
    app, fake_sendgrid, seed_article_text
):
    addresses = add_subscribers(app, 2500)
    add_subscriber(app, "pending@example.net", status="pending")
    add_subscriber(app, "left@example.net", status="unsubscribed")
    add_subscriber(app, "bounced@example.net", status="bounced")
    add_subscriber(app, "other-topic@example.net", topics=("events",))
    add_subscriber(app, "suppressed@example.net")
    db.session.add(
        Suppression(email_hash=email_hash("Suppressed@Example.net", app.config["EMAIL_HASH_KEY"]), reason="bounced")
    )
    db.session.commit()
    campaign = due_campaign(app, seed_article_text)
    message = campaign.messages[0]

    assert run_due_messages(db.session, worker(app)) == 1

    assert fake_sendgrid.violations == []
    assert [mail.personalization_count for mail in fake_sendgrid.requests] == [1000, 1000, 500]
    received = Counter(fake_sendgrid.recipients())
    assert set(received) == set(addresses), "exactly the audience: nobody pending, unsubscribed or suppressed"
    assert set(received.values()) == {1}, "each address once"
    db.session.refresh(message)
    assert (message.status, message.sent_count, message.total_count) == ("sent", 2500, 2500)
    assert [(b.status, b.recipient_count) for b in batches(message.id)] == [
        ("sent", 1000),
        ("sent", 1000),
        ("sent", 500),
    ]
    assert [b.provider_message_id for b in batches(message.id)] == [m.message_id for m in fake_sendgrid.requests]
    sent = (
        select(func.count()).select_from(Delivery).where(Delivery.message_id == message.id, Delivery.status == "sent")
    )
    assert db.session.scalar(sent) == 2500


def test_each_request_renders_once_and_carries_per_recipient_values_categories_and_ids(
    app, fake_sendgrid, seed_article_text
):
    ann = add_subscriber(app, "ann@example.org", first_name="<b>Ann</b>")
    add_subscriber(app, "ben@example.org")
    campaign = due_campaign(app, seed_article_text)
    message = campaign.messages[0]

    run_due_messages(db.session, worker(app))

    [mail] = fake_sendgrid.requests
    body = mail.body
    [batch] = batches(message.id)
    assert body["custom_args"] == {"message_id": str(message.id), "batch_id": str(batch.id)}
    assert body["categories"] == ["newsletter", campaign.slug]
    assert body["subject"] == campaign.email_subject
    assert body["headers"] == {"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    assert body["tracking_settings"]["open_tracking"] == {"enable": False}
    assert body["tracking_settings"]["click_tracking"] == {"enable": False, "enable_text": False}
    assert "mail_settings" not in body, "no sandbox mode unless SENDGRID_SANDBOX is set"
    text, html = (block["value"] for block in body["content"])
    assert "margin: 0 0 16px" in html, "the sections' CSS is inlined"
    assert "<mj-" not in html, "MJML rendered to HTML"
    assert "utm_source=newsletter&amp;utm_medium=email&amp;utm_campaign=" + campaign.slug in html
    assert "-unsubscribe_url-" in html and "-unsubscribe_url-" in text and "-greeting_html-" in html

    by_address = {p["to"][0]["email"]: p for p in body["personalizations"]}
    personal = by_address["ann@example.org"]
    url = personal["substitutions"]["-unsubscribe_url-"]
    assert personal["headers"] == {"List-Unsubscribe": f"<{url}>"}
    parts = urlsplit(url)
    assert parts.scheme == "https" and parts.netloc == "tidings.test"
    token = parts.path.rsplit("/", 1)[1]
    assert read_token(app.config["SECRET_KEY"], "unsubscribe", token) == ann.public_id
    assert "@" not in url and "%40" not in url, "the link carries a signed opaque token, never the address"
    assert personal["substitutions"]["-greeting_html-"] == "Hi &lt;b&gt;Ann&lt;/b&gt;,"
    assert personal["substitutions"]["-greeting_text-"] == "Hi <b>Ann</b>,"
    assert by_address["ben@example.org"]["substitutions"]["-greeting_text-"] == "Hello,"


def test_a_pause_stops_after_the_batch_in_hand_and_resume_continues_where_it_stopped(
    app, fake_sendgrid, seed_article_text
):
    addresses = add_subscribers(app, 7)
    campaign = due_campaign(app, seed_article_text)
    message = campaign.messages[0]
    ctx = worker(app, EMAIL_BATCH_SIZE=3)
    ctx.email_channel = PausingChannel.wrap(ctx.email_channel, campaign.id)

    run_due_messages(db.session, ctx)

    db.session.refresh(message)
    assert (message.status, message.sent_count) == ("paused", 3)
    assert len(fake_sendgrid.requests) == 1
    assert db.session.get(Campaign, campaign.id).status == "paused"
    assert run_due_messages(db.session, worker(app, EMAIL_BATCH_SIZE=3)) == 0, "a paused campaign sends nothing"

    user = db.session.scalar(select(User).limit(1))
    lifecycle.resume(db.session, db.session.get(Campaign, campaign.id), user)
    db.session.commit()
    run_due_messages(db.session, worker(app, EMAIL_BATCH_SIZE=3))

    db.session.refresh(message)
    assert (message.status, message.sent_count) == ("sent", 7)
    assert [m.personalization_count for m in fake_sendgrid.requests] == [3, 3, 1]
    assert sorted(fake_sendgrid.recipients()) == sorted(addresses), "each exactly once, in order, none skipped"
    assert [(b.status, b.recipient_count) for b in batches(message.id)] == [("sent", 3), ("sent", 3), ("sent", 1)]
    sent = (
        select(func.count()).select_from(Delivery).where(Delivery.message_id == message.id, Delivery.status == "sent")
    )
    assert db.session.scalar(sent) == 7


class PausingChannel(SendGridEmailChannel):
    """The real channel; after its first batch, a marketer pauses the campaign (from another session, like the web)."""

    campaign_id: int

    @classmethod
    def wrap(cls, channel: SendGridEmailChannel, campaign_id: int) -> "PausingChannel":
        channel.__class__ = cls
        channel.campaign_id = campaign_id
        channel.engine = db.engine
        return channel

    def send_encoded(self, encoded, observer=None, handover=None):
        provider_id = super().send_encoded(encoded, observer, handover)
        with Session(self.engine) as web:
            campaign = web.get(Campaign, self.campaign_id)
            if campaign.status == "sending":
                lifecycle.pause(web, campaign, web.scalar(select(User).limit(1)))
                web.commit()
        return provider_id


def test_a_refused_batch_fails_the_message_with_sendgrids_reason_on_the_campaign_page(
    app, fake_sendgrid, seed_article_text, marketer_client
):
    add_subscribers(app, 5)
    campaign = due_campaign(app, seed_article_text)
    message = campaign.messages[0]
    fake_sendgrid.fail_on_request(
        2,
        400,
        body={"errors": [{"message": "The from address does not match a verified Sender Identity.", "field": "from"}]},
    )

    run_due_messages(db.session, worker(app, EMAIL_BATCH_SIZE=2))

    db.session.refresh(message)
    assert message.status == "failed"
    assert "does not match a verified Sender Identity" in message.error
    assert [b.status for b in batches(message.id)] == ["sent", "failed"]
    assert len(fake_sendgrid.calls) == 2, "a permanent refusal is not retried, and nothing after it is sent"
    page = marketer_client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Email batches SendGrid refused" in page
    assert "does not match a verified Sender Identity" in page


def test_rate_limits_and_server_errors_are_ridden_out_and_everyone_gets_it_once(app, fake_sendgrid, seed_article_text):
    addresses = add_subscribers(app, 6)
    campaign = due_campaign(app, seed_article_text)
    fake_sendgrid.rate_limit_next(reset_in_seconds=0)
    fake_sendgrid.fail_on_request(3, 503)

    run_due_messages(db.session, worker(app, EMAIL_BATCH_SIZE=3))

    assert [call.status for call in fake_sendgrid.calls] == [429, 202, 503, 202]
    assert sorted(fake_sendgrid.recipients()) == sorted(addresses)
    assert db.session.get(Message, campaign.messages[0].id).status == "sent"


def test_a_stop_during_a_rate_limit_wait_undoes_the_batch_and_the_next_worker_sends_it(
    app, fake_sendgrid, seed_article_text
):
    addresses = add_subscribers(app, 6)
    campaign = due_campaign(app, seed_article_text)
    message = campaign.messages[0]
    reset = {"X-RateLimit-Reset": str(int(time.time() + 30))}
    fake_sendgrid.fail_on_request(2, 429, headers=reset)  # the second batch: come back in half a minute
    stopping = worker(app, EMAIL_BATCH_SIZE=3, SENDGRID_MAX_BACKOFF_SECONDS=60)
    stop_after_calls(fake_sendgrid, stopping, 2)  # SIGTERM, while the worker waits out the limit

    started = time.monotonic()
    assert run_due_messages(db.session, stopping) == 1
    assert time.monotonic() - started < 10, "the stop did not wait for the rate limit"
    assert [call.status for call in fake_sendgrid.calls] == [202, 429]

    db.session.refresh(message)
    assert (message.status, message.claimed_by, message.sent_count) == ("sending", None, 3)
    assert [(b.number, b.status) for b in batches(message.id)] == [(1, "sent")], "the unsent batch is undone"
    assert db.session.scalar(select(func.count()).select_from(Delivery).where(Delivery.message_id == message.id)) == 3
    assert message.delivery_count == 3, "the recipients counted are the deliveries left"
    assert run_due_messages(db.session, worker(app, EMAIL_BATCH_SIZE=3)) == 1
    db.session.refresh(message)
    assert (message.status, message.sent_count, message.delivery_count) == ("sent", 6, 6)
    assert [(b.number, b.status) for b in batches(message.id)] == [(1, "sent"), (2, "sent")]
    received = Counter(fake_sendgrid.recipients())
    assert sorted(received) == sorted(addresses) and set(received.values()) == {1}


def test_a_rate_limit_longer_than_half_the_lease_hands_the_message_back_until_the_reset(
    app, fake_sendgrid, seed_article_text
):
    addresses = add_subscribers(app, 3)
    message = due_campaign(app, seed_article_text).messages[0]
    fake_sendgrid.rate_limit_next(reset_in_seconds=600)  # the default lease is 90 s

    started = time.monotonic()
    run_due_messages(db.session, worker(app, SENDGRID_MAX_BACKOFF_SECONDS=900))
    assert time.monotonic() - started < 10, "no wait that would outlast the lease"

    db.session.refresh(message)
    assert (message.status, message.claimed_by, message.sent_count, batches(message.id)) == ("sending", None, 0, [])
    assert run_due_messages(db.session, worker(app)) == 0, "SendGrid is not asked again before its reset"
    assert [call.status for call in fake_sendgrid.calls] == [429]
    after_the_reset = datetime.now(UTC) + timedelta(minutes=11)
    assert run_due_messages(db.session, WorkerContext.from_config(app.config, clock=lambda: after_the_reset)) == 1
    assert sorted(fake_sendgrid.recipients()) == sorted(addresses)


def test_subscribers_who_join_after_a_send_finished_are_not_sent_that_message(app, fake_sendgrid, seed_article_text):
    add_subscribers(app, 2)
    campaign = due_campaign(app, seed_article_text)
    run_due_messages(db.session, worker(app))
    add_subscriber(app, "late@example.org")

    assert run_due_messages(db.session, worker(app)) == 0
    assert "late@example.org" not in fake_sendgrid.recipients()
    assert db.session.get(Message, campaign.messages[0].id).finished_at <= datetime.now(UTC)


def test_a_batchs_unsubscribe_links_are_the_signed_tokens_the_unsubscribe_page_reads():
    clinic = ClinicInfo.from_config(
        {
            "CLINIC_NAME": "C",
            "CLINIC_LEGAL_NAME": "C LLC",
            "CLINIC_POSTAL_ADDRESS": "1 Road",
            "CLINIC_WEBSITE_URL": "https://c.example",
            "CLINIC_PRIVACY_URL": "https://c.example/p",
            "CLINIC_TIMEZONE": "UTC",
            "PUBLIC_BASE_URL": "https://news.c.example",
        }
    )
    ids = [new_public_id() for _ in range(5)]

    links = UnsubscribeLinks(clinic, "a-secret-key").for_subscribers(ids)

    for subscriber_id, link in zip(ids, links, strict=True):
        assert link.startswith("https://news.c.example/unsubscribe/")
        token = link.rsplit("/", 1)[1]
        assert read_token("a-secret-key", "unsubscribe", token) == subscriber_id
        # The same token make_token makes, but for the timestamp (which may fall in another second).
        assert (
            token.split(".")[0]
            == unsubscribe_url(clinic, "a-secret-key", subscriber_id).rsplit("/", 1)[1].split(".")[0]
        )
    with pytest.raises(TokenError):
        read_token("another-secret", "unsubscribe", links[0].rsplit("/", 1)[1])


def test_a_sample_postal_address_stops_a_real_send_even_after_approval(app, fake_sendgrid, seed_article_text):
    add_subscriber(app, "reader@example.org")
    campaign = due_campaign(app, seed_article_text)
    app.config["CLINIC_POSTAL_ADDRESS"] = PLACEHOLDER_POSTAL_ADDRESS
    run_due_messages(db.session, WorkerContext.from_config(app.config))
    message = db.session.get(Message, campaign.messages[0].id, populate_existing=True)
    assert message.status == "failed"
    assert "CLINIC_POSTAL_ADDRESS" in message.error
    assert fake_sendgrid.requests == []
