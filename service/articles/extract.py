"""The article inside a blog page: its title, its body (headings, paragraphs, lists) and its lead image.

The body is found by readability-lxml, then read into snippets like any HTML upload (`parse`), which drops any
navigation, footer, aside or form readability left in. Chosen by measuring both maintained extractors on the fake
clinic blog's three pages (tests/fakes/blog_pages/: WordPress-like, div-only Squarespace-like, and share buttons
inside the <article>), 2026-12-01, counting headings and body phrases kept and chrome phrases in the snippets:
- readability-lxml 0.9: 10/10 headings, 28/28 phrases, 5 ms a page; the share buttons inside the article leaked.
- trafilatura 2.3.1 by default: 7/10 headings, 25/28 phrases (it dropped the div-only page's headings and list);
  with favor_recall: 10/10, 28/28, no chrome, 15 ms a page; about ten more packages (dateparser, babel: 50 MB).
With the small furniture pass below (page parts whose class or id says share, related, cookie...) readability-lxml
keeps everything and leaks nothing, on four packages. Neither extractor kept the lead image with its alt text, so
it is taken from the page itself (its og:image, else the article's first image) with the alt of its <img>.
"""

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from bs4 import BeautifulSoup
from lxml.etree import ParserError
from markupsafe import escape
from readability import Document

from service.articles.parse import ArticleParseError

_CHROME_PARENTS = ["nav", "header", "footer", "aside", "form"]
# Words themes use in the class or id of page furniture; matched against whole words of the name ("Share-buttons").
_FURNITURE_WORDS = frozenset(
    ["share", "sharing", "social", "related", "cookie", "cookies", "consent", "newsletter", "subscribe", "signup"]
    + ["breadcrumb", "breadcrumbs", "pagination", "comments", "byline", "tags", "announcement"]
)
_FURNITURE_MAX_WORDS = 40


@dataclass(frozen=True)
class ExtractedArticle:
    title: str
    html: str  # the article's body only, for `parse_article(fmt="html")`
    lead_image_url: str | None
    lead_image_alt: str | None


def extract_article(page_html: str, page_url: str) -> ExtractedArticle:
    """The article in a fetched page. Raises ArticleParseError when the page holds no readable article."""
    if not page_html.strip():
        raise ArticleParseError("The page is empty.")
    soup = BeautifulSoup(page_html, "html.parser")
    _remove_furniture(soup)
    try:
        document = Document(str(soup), url=page_url)
        body = document.summary(html_partial=True)
        title = document.short_title()
    except (ParserError, ValueError) as error:
        raise ArticleParseError(f"The page could not be read as HTML ({error}).") from None
    heading = soup.find("h1")
    title = (heading.get_text(" ", strip=True) if heading else "") or title.strip()
    image_url, image_alt = _lead_image(soup, page_url)
    # The title goes in as the body's h1, so the parser takes it as the title and not as a snippet.
    return ExtractedArticle(
        title=title,
        html=f"<h1>{escape(title)}</h1>{body}" if title else body,
        lead_image_url=image_url,
        lead_image_alt=image_alt,
    )


def _remove_furniture(soup: BeautifulSoup) -> None:
    for element in soup.find_all(True):
        if element.decomposed or element.name in ("html", "body", "main", "article"):
            continue
        names = " ".join([*element.get("class", []), element.get("id") or ""]).lower()
        if not _FURNITURE_WORDS.intersection(re.split(r"[^a-z]+", names)):
            continue
        # A section of the article that happens to be named "social-anxiety" is long prose, not furniture.
        words = len(element.get_text(" ", strip=True).split())
        link_words = sum(len(link.get_text(" ", strip=True).split()) for link in element.find_all("a"))
        if words <= _FURNITURE_MAX_WORDS or link_words >= words / 2:
            element.decompose()


def _lead_image(soup: BeautifulSoup, page_url: str) -> tuple[str | None, str | None]:
    shared = soup.find("meta", attrs={"property": "og:image"})
    shared_url = urljoin(page_url, shared["content"].strip()) if shared and shared.get("content") else None
    if shared_url and not shared_url.startswith(("https://", "http://")):
        shared_url = None
    images = [image for image in soup.find_all("img") if not image.find_parent(_CHROME_PARENTS)]
    for image in images:
        if shared_url and shared_url in (_absolute(image, page_url, "src"), _absolute(image, page_url, "data-src")):
            return shared_url, (image.get("alt") or "").strip() or None
    if shared_url:
        return shared_url, None
    within = soup.find("article") or soup.find("main")
    first = within.find("img") if within else None
    if first and _absolute(first, page_url, "src"):
        return _absolute(first, page_url, "src"), (first.get("alt") or "").strip() or None
    return None, None


def _absolute(image, page_url: str, attribute: str) -> str | None:
    value = (image.get(attribute) or "").strip()
    url = urljoin(page_url, value) if value else ""
    # Only a web address is kept: the image is shown as a link, and data: or javascript: URLs are not images of ours.
    return url if url.startswith(("https://", "http://")) else None
