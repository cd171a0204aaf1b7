"""The whole path on both databases: article -> campaign -> schedule -> worker tick -> outbox."""

import json
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

from sqlalchemy import select

from service.campaigns import lifecycle
from service.extensions import db
from service.models import Delivery, Message
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.factories import add_subscriber, approve_and_schedule, draft_campaign, import_seed


def read_emails(outbox: Path):
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(path.read_bytes()) for path in sorted((outbox / "email").glob("*.eml"))]


def next_minute(now: datetime) -> datetime:
    return (now + timedelta(minutes=2)).replace(second=0, microsecond=0)


def test_a_scheduled_campaign_lands_in_the_outbox_when_due(app, marketer, reviewer, seed_article_text):
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

    clock = {"now": send_at - timedelta(seconds=30)}
    ctx = WorkerContext.from_config(app.config, clock=lambda: clock["now"])
    assert run_due_messages(db.session, ctx) == 0, "nothing is due before its time"

    clock["now"] = send_at + timedelta(seconds=1)
    assert run_due_messages(db.session, ctx) == 2  # the email and the post

    outbox = Path(app.config["OUTBOX_DIR"])
    emails = read_emails(outbox)
    assert sorted(message["To"] for message in emails) == ["ana@example.org", "ben@example.org"]
    for message in emails:
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        assert "Dosing &lt;b&gt;matters&lt;/b&gt; &amp; so does follow-up." in html
        assert "Dosing <b>matters</b> & so does follow-up." in text
        assert "<script>alert" not in html
        assert message["Subject"] == "News from the clinic"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["List-Unsubscribe"].strip().startswith("<https://tidings.test/unsubscribe/")
        assert "@" not in message["List-Unsubscribe"]
    ana = next(m for m in emails if m["To"] == "ana@example.org")
    assert "Hi &lt;script&gt;alert(1)&lt;/script&gt;," in ana.get_body(("html",)).get_content()

    posts = [json.loads(p.read_text()) for p in sorted((outbox / "posts").glob("*.json"))]
    assert posts and posts[0]["text"].startswith(snippet.heading)
    assert all(post["in_reply_to"] == posts[i - 1]["id"] for i, post in enumerate(posts) if i)

    messages = db.session.scalars(select(Message).where(Message.campaign_id == campaign.id)).all()
    assert {m.status for m in messages} == {"sent"}
    email_deliveries = db.session.scalars(select(Delivery).where(Delivery.channel == "email")).all()
    assert sorted(d.status for d in email_deliveries) == ["sent", "sent"]
    db.session.refresh(campaign)
    assert campaign.status == "sent"

    assert run_due_messages(db.session, ctx) == 0, "a sent message is never sent again"
    assert len(read_emails(outbox)) == 2


def test_a_paused_campaign_sends_nothing_until_resumed(app, marketer, reviewer, seed_article_text):
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
    assert len(read_emails(Path(app.config["OUTBOX_DIR"]))) == 1
