"""Sends that fell due while no worker ran: sent on return within the grace, else marked missed for a person to send
now or skip (both audit-logged)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.campaigns.recovery import RecoveryError, send_missed_now, skip_missed
from service.extensions import db
from service.models import AuditEntry, Campaign
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.factories import add_subscriber, approve_and_schedule, draft_campaign, import_seed


def actions(campaign: Campaign) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.campaign_id == campaign.id).order_by(AuditEntry.id)
        )
    )


@pytest.fixture
def campaign_due(app, marketer, reviewer, seed_article_text):
    """A scheduled one-off email campaign; `campaign_due(hours_ago)` makes its message due that long ago."""
    article = import_seed(seed_article_text)
    add_subscriber(app, "ana@example.org")
    add_subscriber(app, "ben@example.org")

    def make(hours_ago: float, name: str = "Test campaign") -> Campaign:
        now = datetime.now(UTC)
        send_at = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
        campaign = draft_campaign(app, marketer, [article.snippets[0].id], send_at, send_post=False, name=name)
        approve_and_schedule(app, campaign, marketer, reviewer, now)
        campaign.messages[0].send_at = now - timedelta(hours=hours_ago)
        db.session.commit()
        return campaign

    return make


def tick(app) -> int:
    return run_due_messages(db.session, WorkerContext.from_config(app.config))


def test_a_send_due_within_the_grace_goes_out_when_the_worker_returns(app, campaign_due, outbox):
    campaign = campaign_due(hours_ago=5.5)

    assert tick(app) == 1

    assert campaign.messages[0].status == "sent"
    assert len(outbox.emails) == 2


def test_a_send_older_than_the_grace_is_marked_missed_and_not_sent(app, campaign_due, outbox):
    campaign = campaign_due(hours_ago=6.5)

    assert tick(app) == 0

    db.session.refresh(campaign)
    message = campaign.messages[0]
    assert message.status == "missed"
    assert len(outbox.emails) == 0
    assert "message:missed" in actions(campaign)
    assert campaign.status == "scheduled", "a campaign with a missed message waits for a person"
    assert tick(app) == 0 and len(outbox.emails) == 0, "a missed message is never sent by the worker itself"


def test_the_grace_is_configurable(app, campaign_due):
    app.config["MISSED_GRACE_HOURS"] = 1
    campaign = campaign_due(hours_ago=1.5)

    tick(app)

    assert campaign.messages[0].status == "missed"


def test_send_now_replans_a_missed_message_and_the_worker_sends_it(app, campaign_due, marketer, outbox):
    campaign = campaign_due(hours_ago=8)
    tick(app)
    message = campaign.messages[0]
    now = datetime.now(UTC)

    send_missed_now(db.session, message, marketer, now)
    db.session.commit()

    assert (message.status, message.send_at, message.error) == ("planned", now, None)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "message:send-now"))
    assert entry.actor_id == marketer.id and f"message {message.id}" in entry.detail
    assert tick(app) == 1
    assert message.status == "sent" and len(outbox.emails) == 2
    db.session.refresh(campaign)
    assert campaign.status == "sent"


def test_skip_cancels_a_missed_message_and_finishes_a_campaign_with_nothing_left(app, campaign_due, marketer, outbox):
    campaign = campaign_due(hours_ago=8)
    tick(app)
    message = campaign.messages[0]

    skip_missed(db.session, message, marketer)
    db.session.commit()

    assert message.status == "cancelled"
    assert "Skipped by" in message.error
    assert campaign.status == "sent"
    assert actions(campaign)[-2:] == ["message:skipped", "status:scheduled->sent"]
    assert tick(app) == 0 and len(outbox.emails) == 0


def test_only_a_missed_message_can_be_sent_now_or_skipped(app, campaign_due, marketer):
    campaign = campaign_due(hours_ago=1)
    message = campaign.messages[0]

    with pytest.raises(RecoveryError, match="not missed"):
        send_missed_now(db.session, message, marketer, datetime.now(UTC))
    with pytest.raises(RecoveryError, match="not missed"):
        skip_missed(db.session, message, marketer)


def test_the_campaign_page_offers_send_now_and_skip_for_missed_messages(app, campaign_due, marketer_client):
    campaign = campaign_due(hours_ago=8)
    tick(app)
    message = campaign.messages[0]

    page = marketer_client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Missed sends" in page
    assert f"/campaigns/{campaign.id}/messages/{message.id}/send-now" in page
    assert f"/campaigns/{campaign.id}/messages/{message.id}/skip" in page

    response = marketer_client.post(f"/campaigns/{campaign.id}/messages/{message.id}/send-now")
    assert response.status_code == 302
    db.session.refresh(message)
    assert message.status == "planned"
    assert "Missed sends" not in marketer_client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)

    again = marketer_client.post(f"/campaigns/{campaign.id}/messages/{message.id}/skip", follow_redirects=True)
    assert "not missed" in again.get_data(as_text=True)
    db.session.refresh(message)
    assert message.status == "planned"


def test_skip_through_the_page_and_wrong_campaign_ids_are_refused(app, campaign_due, marketer_client):
    first = campaign_due(hours_ago=8)
    second = campaign_due(hours_ago=8, name="Another campaign")
    tick(app)
    message = first.messages[0]

    assert marketer_client.post(f"/campaigns/{second.id}/messages/{message.id}/skip").status_code == 404
    assert marketer_client.post(f"/campaigns/{first.id}/messages/{message.id}/skip").status_code == 302
    db.session.refresh(message)
    assert message.status == "cancelled"


def test_the_decisions_need_a_logged_in_user_and_a_csrf_token(app, client, campaign_due, marketer):
    campaign = campaign_due(hours_ago=8)
    tick(app)
    url = f"/campaigns/{campaign.id}/messages/{campaign.messages[0].id}/send-now"

    assert client.post(url).status_code in (302, 400)
    app.config["WTF_CSRF_ENABLED"] = True
    client.post("/login", data={"email": marketer.email, "password": "correct-horse-battery"})
    assert client.post(url).status_code == 400, "no CSRF token"
    db.session.refresh(campaign.messages[0])
    assert campaign.messages[0].status == "missed"
