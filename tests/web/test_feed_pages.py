"""The marketer's pages for the blog: import by URL, the feed page, the recipe, and drafts waiting."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from service.articles.feed import check_blog_feed
from service.channels.registry import email_channel_for
from service.extensions import db
from service.models import Article, FeedRecipe

NOW = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)


@pytest.fixture
def app_config(app_config, fake_blog):
    return {
        **app_config,
        "BLOG_FEED_URL": fake_blog.rss_url,
        "BLOG_ALLOWED_HOSTS": ["127.0.0.1"],
        "BLOG_ALLOW_PRIVATE_ADDRESSES": True,  # the fake blog is on 127.0.0.1
        "BLOG_FETCH_TIMEOUT_SECONDS": 2.0,
    }


def articles() -> int:
    return db.session.scalar(select(func.count()).select_from(Article))


def run_check(app, now=NOW):
    check_blog_feed(db.session, app.config, now, email_channel_for(app.config))


def test_import_by_url_shows_the_article_its_image_and_source(marketer_client, fake_blog):
    fake_blog.publish("integration-weeks")
    url = fake_blog.post_url("integration-weeks")
    response = marketer_client.post("/articles/import", data={"page_url": url, "fmt": ""})
    assert response.status_code == 302
    page = marketer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Give it a little structure" in page and "Write for ten minutes" in page
    assert f'href="{url}"' in page
    assert "An open notebook and a cup of tea on a wooden table by a window" in page
    assert f"{fake_blog.url}/media/journal-on-table.jpg" in page
    assert "You might also like" not in page and "Got it" not in page


def test_the_same_page_twice_is_imported_once_and_fetched_once(marketer_client, fake_blog):
    fake_blog.publish("first-session")
    for _ in range(2):
        response = marketer_client.post(
            "/articles/import", data={"page_url": fake_blog.post_url("first-session"), "fmt": ""}
        )
    assert "already imported" in marketer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert articles() == 1 and fake_blog.page_requests() == ["/blog/first-session/"]


def test_a_page_that_cannot_be_fetched_shows_why_beside_the_field(app, marketer_client, fake_blog):
    app.config["BLOG_ALLOWED_HOSTS"] = ["www.daytryphealth.com"]
    typed = fake_blog.post_url("first-session")
    page = marketer_client.post("/articles/import", data={"page_url": typed, "fmt": ""}).get_data(as_text=True)
    assert 'id="page_url-error"' in page and "only from the clinic&#39;s site (www.daytryphealth.com)" in page
    assert f'value="{typed}"' in page
    assert articles() == 0 and fake_blog.calls == []


def test_the_feed_page_shows_the_last_check_and_the_drafts_waiting(app, marketer_client, fake_blog):
    run_check(app, NOW - timedelta(hours=1))  # the first read: what was published before is not new
    fake_blog.publish("first-session")
    fake_blog.broken_links.append("/blog/taken-down/")
    run_check(app)
    page = marketer_client.get("/feed").get_data(as_text=True)
    assert "the feed was read: 2 posts listed, 1 new article imported, 1 could not be read" in page
    assert "404 Not Found" in page
    assert "Drafts from the blog waiting for you" in page
    assert "Your first ketamine-assisted therapy session" in page
    assert "the intro and the first 3 sections; email; letter layout" in page
    campaigns = marketer_client.get("/campaigns").get_data(as_text=True)
    assert "Drafts from the blog waiting for you" in campaigns


def test_the_posts_before_the_first_read_are_listed_as_not_imported(app, marketer_client, fake_blog):
    fake_blog.publish("first-session")
    run_check(app)
    page = marketer_client.get("/feed").get_data(as_text=True)
    assert "First read of this feed" in page
    assert "published before Tidings first read the feed, so not imported" in page
    assert "could not be read" not in page and articles() == 0


def test_a_feed_that_is_down_says_so_in_words(app, marketer_client, fake_blog):
    fake_blog.stop()
    run_check(app)
    page = marketer_client.get("/feed").get_data(as_text=True)
    assert "the feed could not be reached" in page and "Could not reach 127.0.0.1" in page
    assert "Nothing imported before is affected" in page


def test_a_marketer_edits_the_recipe(marketer_client, db):
    form = marketer_client.get("/feed/recipe").get_data(as_text=True)
    assert 'name="section_count"' in form and 'value="3"' in form
    data = {
        "include_intro": "y",
        "section_count": "2",
        "send_email": "y",
        "layout": "letter",
        "post_template": "post.txt",
        "topics": ["kap"],
        "send_weekday": "3",
        "send_time": "10:15",
    }
    response = marketer_client.post("/feed/recipe", data=data)
    assert response.status_code == 302
    recipe = db.session.scalar(select(FeedRecipe))
    assert (recipe.section_count, recipe.topics, recipe.send_weekday) == (2, ["kap"], 3)
    assert recipe.send_time.strftime("%H:%M") == "10:15"


def test_an_invalid_recipe_shows_the_error_and_keeps_what_was_typed(marketer_client, db):
    data = {"section_count": "7", "layout": "letter", "post_template": "post.txt", "send_weekday": "1"}
    page = marketer_client.post("/feed/recipe", data={**data, "send_time": "08:45"}).get_data(as_text=True)
    assert "Choose email, X, or both." in page
    assert 'value="7"' in page and 'value="08:45"' in page


def test_a_reviewer_sees_the_feed_but_cannot_edit_the_recipe(client, as_user):
    as_user("reviewer")
    assert client.get("/feed").status_code == 200
    assert client.get("/feed/recipe").status_code == 403
