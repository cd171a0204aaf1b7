"""The worker's blog feed job: in the job list under a stable id, every 30 minutes, sending the marketers' email
through the configured channel (here the real SendGrid client against the fake), and trying a failed one again."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.articles.feed import check_blog_feed
from service.extensions import db
from service.models import FeedEntry
from service.worker.context import WorkerContext
from service.worker.scheduler import build_scheduler
from tests.worker.email_settings import sendgrid_settings

NOW = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)


@pytest.fixture
def app_config(app_config, fake_blog, fake_sendgrid):
    return {
        **app_config,
        **sendgrid_settings(fake_sendgrid),
        "BLOG_FEED_URL": fake_blog.rss_url,
        "BLOG_ALLOWED_HOSTS": ["127.0.0.1"],
        "BLOG_ALLOW_PRIVATE_ADDRESSES": True,  # the fake blog is on 127.0.0.1
    }


def test_the_feed_job_runs_every_half_hour_and_emails_the_marketers(app, fake_blog, fake_sendgrid, marketer):
    times = iter([NOW, NOW + timedelta(minutes=30)])
    ctx = WorkerContext.from_config(app.config, clock=lambda: next(times))
    scheduler = build_scheduler(app, ctx)
    job = scheduler.get_job("check-blog-feed")
    assert job.trigger.interval == timedelta(minutes=30)

    job.func()  # the first read: nothing published yet
    fake_blog.publish("first-session")
    job.func()

    assert fake_blog.page_requests() == ["/blog/first-session/"]
    assert fake_sendgrid.recipients() == ["marketer@example.org"]
    entry = db.session.scalar(select(FeedEntry))
    assert entry.campaign_id is not None and entry.notified_at is not None


def test_an_email_sendgrid_refused_is_sent_at_the_next_check(app, fake_blog, fake_sendgrid, marketer):
    ctx = WorkerContext.from_config(app.config)
    check_blog_feed(db.session, app.config, NOW - timedelta(hours=1), ctx.email_channel)  # the first read
    fake_blog.publish("first-session")
    fake_sendgrid.respond_next(400)

    first = check_blog_feed(db.session, app.config, NOW, ctx.email_channel)

    assert "The email to the marketers about" in first.message and "not sent" in first.message
    assert db.session.scalar(select(FeedEntry)).notified_at is None
    second = check_blog_feed(db.session, app.config, NOW + timedelta(minutes=30), ctx.email_channel)
    assert second.outcome == "not_modified"
    assert fake_sendgrid.recipients() == ["marketer@example.org"]
    assert db.session.scalar(select(FeedEntry)).notified_at is not None
