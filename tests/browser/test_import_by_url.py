"""A marketer imports a post of the clinic's blog by its address and sees its snippets, without the page chrome."""

import pytest

from tests.browser.logins import log_in_as

pytestmark = pytest.mark.browser


def test_import_a_blog_post_by_url_and_see_its_snippets(live_app, live_server, live_users, page, fake_blog):
    live_app.config.update(BLOG_ALLOWED_HOSTS=["127.0.0.1"], BLOG_ALLOW_PRIVATE_ADDRESSES=True)  # the fake blog
    fake_blog.publish("first-session")
    base = live_server.url
    log_in_as(page, base, live_users["marketer"])

    page.click("text=Articles")
    page.click("text=Import an article")
    page.fill("input[name=page_url]", fake_blog.post_url("first-session"))
    page.click("button:has-text('Import')")

    snippets = page.locator("ol.snippets > li")
    snippets.first.wait_for()
    assert page.locator("h1").inner_text() == "Your first ketamine-assisted therapy session"
    headings = snippets.locator("h2").all_inner_texts()
    assert headings[1:] == [
        "Before you arrive",
        "During the session",
        "After the session",
        "Integration appointments",
        "Questions to bring",
    ]
    text = page.locator("ol.snippets").inner_text()
    assert "Arrange for someone to drive you home afterwards." in text
    for chrome in ("Accept all cookies", "Book a free consultation", "Share on Facebook", "Related posts"):
        assert chrome not in text
    lead_image = page.locator(".lead-image")
    assert f"{fake_blog.url}/media/lounge-chair.jpg" in lead_image.inner_text()
    alt = lead_image.locator(".lead-image-alt").inner_text()
    assert alt == "A reclining chair with a folded blanket in a softly lit treatment room"

    page.goto(f"{base}/articles/import")
    page.fill("input[name=page_url]", "http://169.254.169.254/latest/meta-data/")
    page.click("button:has-text('Import')")
    error = page.locator("#page_url-error")
    error.wait_for()
    assert "only from the clinic's site" in error.inner_text()
    assert page.input_value("input[name=page_url]") == "http://169.254.169.254/latest/meta-data/"
