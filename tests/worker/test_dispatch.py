"""The whole path on both databases: article -> campaign -> schedule -> worker tick -> outbox."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from sqlalchemy import select

from service.campaigns import lifecycle
from service.extensions import db
from service.models import Delivery, Message
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.factories import add_subscriber, approve_and_schedule, draft_campaign, import_seed


def next_minute(now: datetime) -> datetime:
    return (now + timedelta(minutes=2)).replace(second=0, microsecond=0)


def test_a_scheduled_campaign_lands_in_the_outbox_when_due(app, marketer, reviewer, seed_article_text, outbox):
    article = import_seed(seed_article_text)
    snippet = article.snippets[1]
    snippet.body += "\n\nDosing <b>matters</b> & so does follow-up."
    add_subscriber(app, "ana@example.org", first_name="<script>alert(1)</script>")
    add_subscriber(app, "ben@example.org", first_name="Ben")
    add_subscriber(app, "pending@example.org", status="pending")
    now = datetime.now(UTC)
    send_at = next_minute(now)
    campaign = draft_campaign(app, marketer, [snippet.id], send_at)
    approve_and_schedule(app, campaign, marketer, reviewer, now)

    lead = timedelta(minutes=app.config["SENDGRID_SCHEDULE_LEAD_MINUTES"])
    clock = {"now": send_at - lead - timedelta(seconds=30)}
    ctx = WorkerContext.from_config(app.config, clock=lambda: clock["now"])
    assert run_due_messages(db.session, ctx) == 0, "nothing is due before its time, or its hand-over"

    clock["now"] = send_at - timedelta(seconds=30)
    assert run_due_messages(db.session, ctx) == 1, "the email is handed over ahead of its time; the post waits"
    assert {message["X-Tidings-Send-At"] for message in outbox.emails} == {format_datetime(send_at)}
    assert outbox.posts == []

    clock["now"] = send_at + timedelta(seconds=1)
    assert run_due_messages(db.session, ctx) == 1  # the post

    emails = outbox.emails
    assert sorted(message.to for message in emails) == ["ana@example.org", "ben@example.org"]
    for message in emails:
        assert "Dosing &lt;b&gt;matters&lt;/b&gt; &amp; so does follow-up." in message.html
        assert "Dosing <b>matters</b> & so does follow-up." in message.text
        assert "<script>alert" not in message.html
        assert message.subject == "News from the clinic"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["List-Unsubscribe"].strip().startswith("<https://tidings.test/unsubscribe/")
        assert "@" not in message["List-Unsubscribe"]
    [ana] = outbox.emails_to("ana@example.org")
    assert "Hi &lt;script&gt;alert(1)&lt;/script&gt;," in ana.html

    posts = outbox.posts
    assert posts and posts[0]["text"].startswith(snippet.heading)
    assert all(post["in_reply_to"] == posts[i - 1]["id"] for i, post in enumerate(posts) if i)

    messages = db.session.scalars(select(Message).where(Message.campaign_id == campaign.id)).all()
    assert {m.status for m in messages} == {"sent"}
    email_deliveries = db.session.scalars(select(Delivery).where(Delivery.channel == "email")).all()
    assert sorted(d.status for d in email_deliveries) == ["sent", "sent"]
    db.session.refresh(campaign)
    assert campaign.status == "sent"

    assert run_due_messages(db.session, ctx) == 0, "a sent message is never sent again"
    assert len(outbox.emails) == 2


def test_a_paused_campaign_sends_nothing_until_resumed(app, marketer, reviewer, seed_article_text, outbox):
    article = import_seed(seed_article_text)
    add_subscriber(app, "ana@example.org")
    now = datetime.now(UTC)
    send_at = next_minute(now)
    campaign = draft_campaign(app, marketer, [article.snippets[0].id], send_at, send_post=False)
    approve_and_schedule(app, campaign, marketer, reviewer, now)
    lifecycle.pause(db.session, campaign, marketer)
    db.session.commit()

    ctx = WorkerContext.from_config(app.config, clock=lambda: send_at + timedelta(seconds=5))
    assert run_due_messages(db.session, ctx) == 0
    lifecycle.resume(db.session, campaign, marketer)
    db.session.commit()
    assert run_due_messages(db.session, ctx) == 1
    assert len(outbox.emails) == 1
