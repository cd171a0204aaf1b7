"""`flask feed check` checks the blog feed now and says what it found."""

import pytest


@pytest.fixture
def app_config(app_config, fake_blog):
    return {
        **app_config,
        "BLOG_FEED_URL": fake_blog.rss_url,
        "BLOG_ALLOWED_HOSTS": ["127.0.0.1"],
        "BLOG_ALLOW_PRIVATE_ADDRESSES": True,  # the fake blog is on 127.0.0.1
    }


def test_feed_check_reports_what_it_found(runner, fake_blog):
    first = runner.invoke(args=["feed", "check"])
    assert first.exit_code == 0 and first.output.startswith("ok: 0 listed, 0 imported, 0 failed")
    fake_blog.publish("first-session")
    second = runner.invoke(args=["feed", "check"])
    assert second.exit_code == 0 and second.output.startswith("ok: 1 listed, 1 imported, 0 failed")


def test_feed_check_fails_when_the_feed_cannot_be_read(app, runner, fake_blog):
    fake_blog.stop()
    result = runner.invoke(args=["feed", "check"])
    assert result.exit_code == 1 and "unreachable" in result.output and "Could not reach" in result.output


def test_feed_check_without_a_feed_says_so(app, runner):
    app.config["BLOG_FEED_URL"] = ""
    result = runner.invoke(args=["feed", "check"])
    assert result.exit_code == 1 and "BLOG_FEED_URL is not set" in result.output
