"""The campaign lifecycle's guards."""

from datetime import UTC, datetime, timedelta

import pytest

from service.campaigns import lifecycle
from service.campaigns.lifecycle import LifecycleError
from service.extensions import db
from service.models import Delivery
from tests.factories import approve_and_schedule, draft_campaign, import_seed


def test_a_campaign_interrupted_part_way_cannot_be_edited(app, marketer, reviewer, seed_article_text):
    article = import_seed(seed_article_text)
    now = datetime.now(UTC)
    campaign = draft_campaign(app, marketer, [article.snippets[0].id], now + timedelta(days=1), send_email=False)
    approve_and_schedule(app, campaign, marketer, reviewer, now)
    message = campaign.messages[0]
    # Part 1 of a thread went out, then X rate-limited the rest: the message is planned again, with a delivery.
    db.session.add(Delivery(message_id=message.id, part_index=0, channel="x", status="sent", provider_id="1"))
    db.session.commit()
    with pytest.raises(LifecycleError, match="already started sending"):
        lifecycle.mark_edited(db.session, campaign, marketer)


def test_an_unapproved_campaign_cannot_be_scheduled(app, marketer, seed_article_text):
    article = import_seed(seed_article_text)
    campaign = draft_campaign(app, marketer, [article.snippets[0].id], datetime.now(UTC) + timedelta(days=1))
    with pytest.raises(LifecycleError, match="draft"):
        lifecycle.schedule(db.session, campaign, marketer, tz_name="America/Phoenix", now=datetime.now(UTC))
