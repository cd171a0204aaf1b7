"""The article inside a blog page: headings, paragraphs and lists into snippets, the lead image and its alt text,
and none of the page's chrome (cookie banner, navigation, share buttons, related posts, footer)."""

import pytest

from service.articles.extract import extract_article
from service.articles.parse import ArticleParseError, parse_article
from tests.fakes.blog_server import PAGES_DIR

BASE = "https://www.daytryphealth.com"
CHROME = [
    "cookie",
    "Accept all",
    "Got it",
    "Book a free consultation",
    "Treatments",
    "Share on",
    "Facebook",
    "Related posts",
    "You might also like",
    "All rights reserved",
    "Subscribe to our newsletter",
    "Previous:",
    "Posted on",
    "minute read",
    "Seven questions",
    "Instagram",
]
PAGES = {
    "first-session.html": (
        "Your first ketamine-assisted therapy session",
        ["Your first ketamine-assisted therapy session", "Before you arrive", "During the session", "After the session"]
        + ["Integration appointments", "Questions to bring"],
        f"{BASE}/media/lounge-chair.jpg",
        "A reclining chair with a folded blanket in a softly lit treatment room",
    ),
    "integration-weeks.html": (
        "Integration: the weeks after a session",
        ["Integration: the weeks after a session", "Give it a little structure", "Talk it through", "When to call us"],
        f"{BASE}/media/journal-on-table.jpg",
        "An open notebook and a cup of tea on a wooden table by a window",
    ),
    "music-in-sessions.html": (
        "Why we use music in sessions",
        ["Why we use music in sessions", "What the playlists sound like", "Silence is always an option"],
        f"{BASE}/media/headphones.jpg",
        "Over-ear headphones resting on a folded grey blanket",
    ),
}


def extracted(page: str):
    html = (PAGES_DIR / page).read_text(encoding="utf-8").replace("{base}", BASE)
    return extract_article(html, f"{BASE}/blog/{page.removesuffix('.html')}/")


@pytest.mark.parametrize("page", PAGES)
def test_the_article_becomes_snippets_without_the_page_chrome(page):
    title, headings, _, _ = PAGES[page]
    article = extracted(page)
    parsed = parse_article(article.html, fmt="html")
    assert parsed.title == title
    assert [snippet.heading for snippet in parsed.snippets] == headings
    text = " ".join(f"{snippet.heading} {snippet.body}" for snippet in parsed.snippets)
    assert [words for words in CHROME if words.lower() in text.lower()] == []


@pytest.mark.parametrize("page", PAGES)
def test_the_lead_image_is_kept_with_its_alt_text(page):
    _, _, image_url, alt = PAGES[page]
    article = extracted(page)
    assert (article.lead_image_url, article.lead_image_alt) == (image_url, alt)


def test_lists_keep_their_items_in_order():
    snippets = parse_article(extracted("first-session.html").html, fmt="html").snippets
    during = next(snippet for snippet in snippets if snippet.heading == "During the session")
    assert "1. Settling in: a few minutes of breathing" in during.body
    assert "4. A slow return" in during.body
    before = next(snippet for snippet in snippets if snippet.heading == "Before you arrive")
    assert "- Arrange for someone to drive you home afterwards." in before.body


def test_a_page_without_text_is_refused():
    with pytest.raises(ArticleParseError):
        extract_article("   ", f"{BASE}/blog/empty/")


def test_an_image_link_that_is_not_a_web_address_is_dropped():
    html = '<html><head><meta property="og:image" content="javascript:alert(1)"></head><body><article><h1>T</h1>'
    html += '<img src="data:image/png;base64,AAAA" alt="x"><p>' + "Some words of the article. " * 20 + "</p></article>"
    article = extract_article(html + "</body></html>", f"{BASE}/blog/t/")
    assert article.lead_image_url is None
