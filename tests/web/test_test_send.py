"""Test send from a campaign's page: the rendered email, "[Test]" before its subject, to the logged-in user's own
address only, at once, through the configured channel (here the real SendGrid client and the fake server)."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry, Delivery, SendBatch
from tests.factories import add_subscriber, draft_campaign, import_seed
from tests.worker.email_settings import sendgrid_settings


@pytest.fixture
def app_config(app_config, fake_sendgrid):
    return {**app_config, **sendgrid_settings(fake_sendgrid)}


@pytest.fixture
def campaign(app, marketer, seed_article_text):
    article = import_seed(seed_article_text)
    snippets = [article.snippets[0].id, article.snippets[1].id]
    return draft_campaign(app, marketer, snippets, datetime.now(UTC) + timedelta(days=1), email_subject="May news")


def test_the_campaign_page_offers_a_test_send_to_ones_own_address(marketer_client, campaign):
    page = marketer_client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)

    assert "Send a test to marketer@example.org" in page
    assert f'action="/campaigns/{campaign.id}/test-send"' in page


def test_a_test_send_goes_only_to_the_logged_in_user(app, marketer_client, campaign, fake_sendgrid):
    add_subscriber(app, "subscriber@example.org")

    response = marketer_client.post(
        f"/campaigns/{campaign.id}/test-send",
        data={"position": "0", "to": "someone-else@example.com", "email": "someone-else@example.com"},
        follow_redirects=True,
    )

    assert "A test email is on its way to marketer@example.org" in response.get_data(as_text=True)
    assert fake_sendgrid.recipients() == ["marketer@example.org"]
    assert fake_sendgrid.violations == []
    body = fake_sendgrid.requests[0].body
    assert body["subject"] == "[Test] May news"
    assert campaign.sections[1].heading in body["content"][1]["value"]
    assert body["categories"] == ["test-send", campaign.slug]
    assert body["custom_args"] == {"test_send": "1", "campaign_id": str(campaign.id)}
    personalization = body["personalizations"][0]
    assert personalization["substitutions"]["-greeting_text-"] == "Hi Marketer,"
    assert personalization["headers"]["List-Unsubscribe"].startswith("<https://tidings.test/unsubscribe/")
    assert db.session.scalars(select(SendBatch)).all() == [] and db.session.scalars(select(Delivery)).all() == []
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "campaign:test-send"))
    assert entry.campaign_id == campaign.id and entry.actor_label == "Marketer"
    assert campaign.status == "draft", "a test send changes nothing about the campaign"


def test_sendgrids_refusal_is_shown_and_nothing_is_logged_as_sent(marketer_client, campaign, fake_sendgrid):
    fake_sendgrid.respond_next(
        403, body={"errors": [{"message": "access forbidden: the API key lacks mail.send", "field": None}]}
    )

    response = marketer_client.post(
        f"/campaigns/{campaign.id}/test-send", data={"position": "0"}, follow_redirects=True
    )

    page = response.get_data(as_text=True)
    assert "The test email was not sent" in page and "the API key lacks mail.send" in page
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "campaign:test-send")) is None


def test_a_rate_limit_does_not_keep_the_page_waiting(app, marketer_client, campaign, fake_sendgrid):
    app.config["SENDGRID_MAX_BACKOFF_SECONDS"] = 60  # as in production: a 429 may ask for a minute
    fake_sendgrid.rate_limit_next(reset_in_seconds=60, times=5)

    started = time.monotonic()
    response = marketer_client.post(
        f"/campaigns/{campaign.id}/test-send", data={"position": "0"}, follow_redirects=True
    )

    assert time.monotonic() - started < 10, "the page did not wait out the rate limit"
    assert "The test email was not sent" in response.get_data(as_text=True)
    assert [call.status for call in fake_sendgrid.calls] == [429]


def test_an_unknown_email_position_is_refused(marketer_client, campaign, fake_sendgrid):
    response = marketer_client.post(
        f"/campaigns/{campaign.id}/test-send", data={"position": "9"}, follow_redirects=True
    )

    assert "There is no such email in this campaign" in response.get_data(as_text=True)
    assert fake_sendgrid.calls == []


def test_a_test_send_needs_a_login_and_a_csrf_token(app, client, campaign, fake_sendgrid):
    assert client.post(f"/campaigns/{campaign.id}/test-send", data={"position": "0"}).status_code == 400
    app.config["WTF_CSRF_ENABLED"] = False

    response = client.post(f"/campaigns/{campaign.id}/test-send", data={"position": "0"})

    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert fake_sendgrid.calls == []
