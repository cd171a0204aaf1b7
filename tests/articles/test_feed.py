"""The blog feed check against a fake clinic blog: a new post becomes one article, one draft campaign from the
recipe and one email to the marketers; nothing is imported twice; failures are recorded in words and lose
nothing."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from service.articles.feed import MAX_ENTRY_ATTEMPTS, check_blog_feed
from service.campaigns.recipes import RecipeInput, current_recipe, new_feed_drafts, save_recipe
from service.channels.registry import email_channel_for
from service.extensions import db
from service.models import Article, Campaign, FeedCheck, FeedEntry, Message
from tests.fakes.http_fake import Reply

# Thursday 3 December 2026, 10:00 in Phoenix: the recipe's "next Tuesday 09:00" is 8 December.
NOW = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
NEXT_TUESDAY = date(2026, 12, 8)
CHROME = ["cookie", "Accept all", "Book a free consultation", "Share", "Facebook", "Related posts"]
CHROME += ["You might also like", "All rights reserved", "Subscribe to our newsletter", "Posted on"]


@pytest.fixture
def app_config(app_config, fake_blog):
    return {
        **app_config,
        "BLOG_FEED_URL": fake_blog.rss_url,
        "BLOG_ALLOWED_HOSTS": ["127.0.0.1"],
        # The fake blog serves from 127.0.0.1; production refuses this setting.
        "BLOG_ALLOW_PRIVATE_ADDRESSES": True,
        "BLOG_FETCH_TIMEOUT_SECONDS": 2.0,
    }


def check(app, now=NOW) -> FeedCheck:
    result = check_blog_feed(db.session, app.config, now, email_channel_for(app.config))
    db.session.expire_all()
    return result


def connect(app) -> None:
    """The feed's first read, with nothing published yet: the posts published after it are new."""
    assert check(app, NOW - timedelta(hours=1)).outcome == "ok"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_new_post_becomes_an_article_a_draft_and_an_email(app, fake_blog, marketer, outbox):
    connect(app)
    fake_blog.publish("first-session")
    result = check(app)

    assert (result.outcome, result.items_listed, result.articles_imported, result.items_failed) == ("ok", 1, 1, 0)
    article = db.session.scalar(select(Article))
    assert article.title == "Your first ketamine-assisted therapy session"
    assert article.source_url == fake_blog.post_url("first-session")
    assert article.lead_image_url == f"{fake_blog.url}/media/lounge-chair.jpg"
    assert article.lead_image_alt.startswith("A reclining chair")
    text = " ".join(f"{snippet.heading} {snippet.body}" for snippet in article.snippets)
    assert [words for words in CHROME if words.lower() in text.lower()] == []

    campaign = db.session.scalar(select(Campaign))
    assert campaign.status == "draft" and campaign.messages == []  # never scheduled by itself
    assert [snippet.heading for snippet in campaign.snippets] == [
        "Your first ketamine-assisted therapy session",  # the intro
        "Before you arrive",
        "During the session",
        "After the session",
    ]
    assert (campaign.start_date, campaign.send_time) == (NEXT_TUESDAY, time(9, 0))
    assert campaign.email_subject == article.title and campaign.link_url == article.source_url
    assert campaign.send_email and not campaign.send_post and campaign.topics == ["newsletter"]
    assert new_feed_drafts(db.session) == [campaign]

    [email] = outbox.emails
    assert email.to == "marketer@example.org"
    assert email.subject == "New draft from the blog: Your first ketamine-assisted therapy session"
    assert f"https://tidings.test/campaigns/{campaign.id}" in email.text
    assert email["List-Unsubscribe"] is None  # a staff note, not a marketing email


def test_the_same_feed_again_is_a_304_and_fetches_no_page(app, fake_blog, marketer, outbox):
    connect(app)
    fake_blog.publish("first-session")
    check(app)
    pages_before = len(fake_blog.page_requests())

    result = check(app, NOW + timedelta(minutes=30))

    assert result.outcome == "not_modified"
    assert fake_blog.feed_requests() == [200, 200, 304]
    assert len(fake_blog.page_requests()) == pages_before
    assert (count(Article), count(Campaign), len(outbox.emails)) == (1, 1, 1)


def test_a_changed_feed_imports_only_the_new_post(app, fake_blog, marketer, outbox):
    connect(app)
    fake_blog.publish("first-session")
    check(app)
    fake_blog.publish("integration-weeks")

    result = check(app, NOW + timedelta(minutes=30))

    assert (result.outcome, result.items_listed, result.articles_imported) == ("ok", 2, 1)
    assert fake_blog.page_requests().count("/blog/first-session/") == 1
    assert (count(Article), count(Campaign), len(outbox.emails)) == (2, 2, 2)
    titles = [campaign.name for campaign in new_feed_drafts(db.session)]
    assert titles == ["Integration: the weeks after a session", "Your first ketamine-assisted therapy session"]


def test_an_item_seen_before_is_not_imported_again_even_when_the_feed_forgets_its_validators(app, fake_blog, marketer):
    connect(app)
    fake_blog.publish("first-session")
    check(app)
    db.session.execute(FeedCheck.__table__.update().values(etag=None, last_modified=None))
    db.session.commit()

    result = check(app, NOW + timedelta(minutes=30))

    assert (result.outcome, result.articles_imported) == ("ok", 0)
    assert fake_blog.page_requests() == ["/blog/first-session/"]
    assert (count(Article), count(Campaign)) == (1, 1)


def test_the_same_text_at_another_address_is_not_imported_twice(app, fake_blog, marketer, outbox):
    connect(app)
    fake_blog.publish("first-session")
    check(app)
    fake_blog.redirects["/blog/first-session-copy/"] = "/blog/first-session/"
    fake_blog.broken_links.append("/blog/first-session-copy/")

    check(app, NOW + timedelta(minutes=30))

    entry = db.session.scalar(select(FeedEntry).where(FeedEntry.url.endswith("first-session-copy/")))
    assert entry.status == "duplicate" and entry.campaign_id is None
    assert (count(Article), count(Campaign), len(outbox.emails)) == (1, 1, 1)


def test_an_atom_feed_is_read_too(app, fake_blog, marketer):
    app.config["BLOG_FEED_URL"] = fake_blog.atom_url
    connect(app)
    fake_blog.publish("music-in-sessions")

    result = check(app)

    assert (result.outcome, result.articles_imported) == ("ok", 1)
    article = db.session.scalar(select(Article))
    assert article.title == "Why we use music in sessions"
    assert article.lead_image_alt == "Over-ear headphones resting on a folded grey blanket"


def test_a_feed_that_is_down_is_reported_and_loses_nothing(app, fake_blog, marketer):
    connect(app)
    fake_blog.publish("first-session")
    check(app)
    fake_blog.respond_next(503)

    result = check(app, NOW + timedelta(minutes=30))

    assert result.outcome == "unreachable"
    assert "503 Service Unavailable" in result.message
    assert (count(Article), count(Campaign), count(FeedCheck)) == (1, 1, 3)
    # The next check is still conditional: the validators of the last good check are kept.
    assert check(app, NOW + timedelta(hours=1)).outcome == "not_modified"


def test_a_feed_nobody_answers_is_unreachable(app, fake_blog):
    fake_blog.stop()
    result = check(app)
    assert result.outcome == "unreachable" and "Could not reach 127.0.0.1" in result.message


def test_a_feed_that_is_not_xml_is_reported(app, fake_blog, marketer):
    connect(app)
    fake_blog.publish("first-session")
    check(app)
    fake_blog.feed_reply = Reply(200, "this is not a feed <<<", {"Content-Type": "application/rss+xml"})
    result = check(app, NOW + timedelta(minutes=30))
    assert result.outcome == "not_a_feed" and "does not hold an RSS or Atom feed" in result.message

    fake_blog.feed_reply = Reply(200, "<html><body>Blog</body></html>", {"Content-Type": "text/html"})
    result = check(app, NOW + timedelta(hours=1))
    assert result.outcome == "not_a_feed" and "is not a feed (RSS or Atom XML): it is text/html" in result.message
    assert (count(Article), count(Campaign)) == (1, 1)


def test_a_feed_at_a_private_address_is_refused_in_production_mode(app, fake_blog, marketer):
    fake_blog.publish("first-session")
    app.config["BLOG_ALLOW_PRIVATE_ADDRESSES"] = False

    result = check(app)

    assert result.outcome == "refused"
    assert "private or local network address (127.0.0.1)" in result.message
    assert fake_blog.calls == [] and count(Article) == 0


def test_an_item_whose_page_cannot_be_read_is_reported_and_tried_again(app, fake_blog, marketer):
    connect(app)
    fake_blog.publish("first-session")
    fake_blog.broken_links.append("/blog/taken-down/")

    result = check(app)

    assert (result.outcome, result.articles_imported, result.items_failed) == ("ok", 1, 1)
    assert "could not be read" in result.message and "404 Not Found" in result.message
    entry = db.session.scalar(select(FeedEntry).where(FeedEntry.status == "failed"))
    assert entry.attempts == 1 and "404 Not Found" in entry.error
    for minutes in range(30, 30 * MAX_ENTRY_ATTEMPTS + 30, 30):
        check(app, NOW + timedelta(minutes=minutes))
    assert fake_blog.page_requests().count("/blog/taken-down/") == MAX_ENTRY_ATTEMPTS
    assert db.session.get(FeedEntry, entry.id).attempts == MAX_ENTRY_ATTEMPTS
    assert count(Article) == 1


def test_a_page_from_another_host_is_refused(app, fake_blog, marketer):
    connect(app)
    fake_blog.publish("first-session")
    app.config["BLOG_ALLOWED_HOSTS"] = ["127.0.0.1", "localhost"]
    fake_blog.broken_links.append("/x")  # listed as http://127.0.0.1:port/x
    fake_blog.redirects["/x"] = "http://www.example.com/elsewhere"

    result = check(app)

    entry = db.session.scalar(select(FeedEntry).where(FeedEntry.status == "failed"))
    assert "not from www.example.com" in entry.error and result.items_failed == 1


def test_the_recipe_decides_the_draft(app, fake_blog, marketer):
    recipe = RecipeInput(
        include_intro=False,
        section_count=2,
        send_email=True,
        send_post=True,
        topics=["kap"],
        send_weekday=4,
        send_time=time(12, 30),
    )
    save_recipe(db.session, recipe, marketer, app.config["SUBSCRIBER_TOPICS"])
    db.session.commit()
    connect(app)
    fake_blog.publish("first-session")

    check(app)

    campaign = db.session.scalar(select(Campaign))
    assert [snippet.heading for snippet in campaign.snippets] == ["Before you arrive", "During the session"]
    assert campaign.send_post and campaign.topics == ["kap"]
    assert (campaign.start_date, campaign.send_time) == (date(2026, 12, 4), time(12, 30))  # the next Friday
    assert count(Message) == 0


def test_a_recipe_that_cannot_make_a_draft_keeps_the_article(app, fake_blog, marketer, outbox):
    current_recipe(db.session, app.config["SUBSCRIBER_TOPICS"]).topics = []  # an email to nobody
    db.session.commit()
    connect(app)
    fake_blog.publish("first-session")

    check(app)

    entry = db.session.scalar(select(FeedEntry))
    assert entry.status == "imported" and entry.campaign_id is None
    assert "No draft was made" in entry.draft_error and "topic" in entry.draft_error
    assert (count(Article), count(Campaign), len(outbox.emails)) == (1, 0, 0)


def test_the_posts_listed_at_the_first_read_are_noted_not_imported(app, fake_blog, marketer, outbox):
    fake_blog.publish("first-session")
    fake_blog.publish("integration-weeks")

    first = check(app)

    assert (first.outcome, first.items_listed, first.articles_imported) == ("ok", 2, 0)
    assert "First read of this feed" in first.message
    assert [entry.status for entry in db.session.scalars(select(FeedEntry))] == ["earlier", "earlier"]
    assert fake_blog.page_requests() == [] and count(Article) == 0 and outbox.emails == []

    fake_blog.publish("music-in-sessions")
    second = check(app, NOW + timedelta(minutes=30))

    assert (second.items_listed, second.articles_imported) == (3, 1)
    assert fake_blog.page_requests() == ["/blog/music-in-sessions/"]
    assert [campaign.name for campaign in new_feed_drafts(db.session)] == ["Why we use music in sessions"]


def test_no_feed_set_means_no_check(app):
    app.config["BLOG_FEED_URL"] = ""
    assert check_blog_feed(db.session, app.config, NOW, email_channel_for(app.config)) is None
    assert count(FeedCheck) == 0
