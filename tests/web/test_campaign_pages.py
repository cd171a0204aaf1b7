"""Creating, validating and scheduling campaigns through the web forms."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from service.models import Campaign, Message
from service.timezones import utc_to_local
from tests.factories import approve_and_schedule, draft_campaign, import_seed


def form_data(snippet_ids, when_local: datetime, **overrides):
    data = {
        "name": "Spring newsletter",
        "snippet_ids": [str(i) for i in snippet_ids],
        "send_email": "y",
        "email_subject": "Spring at the clinic",
        "topics": ["newsletter"],
        "schedule_kind": "once",
        "start_date": when_local.strftime("%Y-%m-%d"),
        "send_time": when_local.strftime("%H:%M"),
        "every_days": "7",
        "weekday": "1",
    }
    data.update(overrides)
    return data


def test_a_past_send_time_is_refused_and_the_form_keeps_what_was_typed(app, marketer_client, seed_article_text):
    article = import_seed(seed_article_text)
    yesterday = utc_to_local(datetime.now(UTC) - timedelta(days=1), app.config["CLINIC_TIMEZONE"])
    response = marketer_client.post("/campaigns/new", data=form_data([article.snippets[1].id], yesterday))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "in the past" in page
    assert 'value="Spring newsletter"' in page
    assert 'value="Spring at the clinic"' in page


def test_a_subject_with_a_line_break_is_refused(app, marketer_client, seed_article_text):
    article = import_seed(seed_article_text)
    tomorrow = utc_to_local(datetime.now(UTC) + timedelta(days=1), app.config["CLINIC_TIMEZONE"])
    data = form_data([article.snippets[1].id], tomorrow, email_subject="Hello\r\nBcc: x@example.org")
    response = marketer_client.post("/campaigns/new", data=data)
    assert "single line" in response.get_data(as_text=True)


def test_create_review_approve_and_schedule(app, db, client, auth, marketer, reviewer, seed_article_text):
    article = import_seed(seed_article_text)
    tomorrow = utc_to_local(datetime.now(UTC) + timedelta(days=1), app.config["CLINIC_TIMEZONE"])
    auth.login(marketer)
    response = client.post("/campaigns/new", data=form_data([article.snippets[1].id, article.snippets[6].id], tomorrow))
    assert response.status_code == 302
    campaign = db.session.scalar(select(Campaign))
    assert [s.id for s in campaign.snippets] == [article.snippets[1].id, article.snippets[6].id]

    client.post(f"/campaigns/{campaign.id}/schedule")
    db.session.refresh(campaign)
    assert campaign.status == "draft", "an unapproved campaign cannot be scheduled"

    client.post(f"/campaigns/{campaign.id}/submit")
    client.post(f"/campaigns/{campaign.id}/approve")
    db.session.refresh(campaign)
    assert campaign.status == "in_review", "the author cannot approve their own campaign"

    auth.logout()
    auth.login(reviewer)
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    seen = re.search(r'name="content_hash" value="([0-9a-f]+)"', page).group(1)
    client.post(f"/campaigns/{campaign.id}/approve", data={"content_hash": seen})
    client.post(f"/campaigns/{campaign.id}/schedule")
    db.session.refresh(campaign)
    assert campaign.status == "scheduled"
    messages = db.session.scalars(select(Message).where(Message.campaign_id == campaign.id)).all()
    assert len(messages) == 2
    assert "Spring newsletter" in client.get("/campaigns").get_data(as_text=True)


def test_editing_a_scheduled_campaign_returns_it_to_draft(app, db, client, auth, marketer, reviewer, seed_article_text):
    article = import_seed(seed_article_text)
    now = datetime.now(UTC)
    campaign = draft_campaign(app, marketer, [article.snippets[1].id], now + timedelta(days=1))
    approve_and_schedule(app, campaign, marketer, reviewer, now)
    auth.login(marketer)
    tomorrow = utc_to_local(now + timedelta(days=2), app.config["CLINIC_TIMEZONE"])
    client.post(f"/campaigns/{campaign.id}/edit", data=form_data([article.snippets[1].id], tomorrow, name="Renamed"))
    db.session.refresh(campaign)
    assert campaign.status == "draft"
    assert campaign.name == "Renamed"
    assert db.session.scalars(select(Message).where(Message.campaign_id == campaign.id)).all() == []


def test_preview_shows_the_email_and_the_post(app, marketer_client, marketer, seed_article_text):
    article = import_seed(seed_article_text)
    campaign = draft_campaign(app, marketer, [article.snippets[1].id], datetime.now(UTC) + timedelta(days=1))
    page = marketer_client.get(f"/campaigns/{campaign.id}/preview/0").get_data(as_text=True)
    assert "Before You Book" in page
    html = marketer_client.get(f"/campaigns/{campaign.id}/preview/0/email.html").get_data(as_text=True)
    assert "Unsubscribe" in html
