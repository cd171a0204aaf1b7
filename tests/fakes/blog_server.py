"""A fake clinic blog: a real HTTP server on 127.0.0.1 serving an RSS feed, an Atom feed and article pages.

The pages (blog_pages/) are written like the clinic's real blog, in our own words: a cookie banner, a header with
the site's navigation, the article (headings, lists, a lead image with alt text), share buttons, related posts and
a footer. The feeds list the posts published so far (`publish`), newest first, and answer a conditional request
(If-None-Match / If-Modified-Since) with 304 while nothing new was published.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from tests.fakes.http_fake import FakeHTTPServer, Reply, Request

PAGES_DIR = Path(__file__).parent / "blog_pages"
RSS_PATH = "/blog/feed/"
ATOM_PATH = "/blog/feed.atom"
# A tiny valid JPEG's first bytes are enough: nothing decodes the image, it is only linked.
_IMAGE = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


@dataclass(frozen=True)
class Post:
    slug: str
    title: str
    page: str  # file in blog_pages/
    published: datetime


POSTS = {
    "first-session": Post(
        "first-session",
        "Your first ketamine-assisted therapy session",
        "first-session.html",
        datetime(2026, 11, 24, 16, 0, tzinfo=UTC),
    ),
    "integration-weeks": Post(
        "integration-weeks",
        "Integration: the weeks after a session",
        "integration-weeks.html",
        datetime(2026, 12, 1, 16, 0, tzinfo=UTC),
    ),
    "music-in-sessions": Post(
        "music-in-sessions",
        "Why we use music in sessions",
        "music-in-sessions.html",
        datetime(2026, 12, 8, 16, 0, tzinfo=UTC),
    ),
}


class FakeClinicBlog(FakeHTTPServer):
    def __init__(self) -> None:
        super().__init__()
        self.published: list[Post] = []
        # Extra items listed in the feed whose pages answer 404 (a post taken down, a typo in the feed).
        self.broken_links: list[str] = []
        # path -> Location: answered with 302, to test that redirects are followed and checked.
        self.redirects: dict[str, str] = {}
        # Served instead of the feeds when set (a feed that is not XML, say).
        self.feed_reply: Reply | None = None

    # -- what tests change ------------------------------------------------------------------------------------

    def publish(self, slug: str) -> Post:
        post = POSTS[slug]
        self.published.append(post)
        return post

    def post_url(self, slug: str) -> str:
        return f"{self.url}/blog/{slug}/"

    @property
    def rss_url(self) -> str:
        return self.url + RSS_PATH

    @property
    def atom_url(self) -> str:
        return self.url + ATOM_PATH

    def page_requests(self) -> list[str]:
        """The paths of article pages fetched so far."""
        return [
            call.path
            for call in self.calls
            if call.path.startswith("/blog/") and call.path not in (RSS_PATH, ATOM_PATH)
        ]

    def feed_requests(self) -> list[int | None]:
        """The status of every feed request so far (200, 304, ...)."""
        return [call.status for call in self.calls if call.path in (RSS_PATH, ATOM_PATH)]

    def page_html(self, slug: str) -> str:
        return (PAGES_DIR / POSTS[slug].page).read_text(encoding="utf-8").replace("{base}", self.url)

    # -- the server -------------------------------------------------------------------------------------------

    def answer(self, request: Request) -> Reply:
        if request.path in self.redirects:
            return Reply(302, "", {"Location": self.redirects[request.path]})
        if request.path in (RSS_PATH, ATOM_PATH) and self.feed_reply is not None:
            return self.feed_reply
        if request.path in (RSS_PATH, ATOM_PATH):
            return self._feed(request, atom=request.path == ATOM_PATH)
        if request.path.startswith("/media/"):
            return Reply(200, _IMAGE, {"Content-Type": "image/jpeg"})
        slug = request.path.strip("/").removeprefix("blog/")
        if request.path.startswith("/blog/") and slug in POSTS and POSTS[slug] in self.published:
            return Reply(200, self.page_html(slug), {"Content-Type": "text/html; charset=utf-8"})
        return Reply(404, self.error_body(404, "Not Found"), {"Content-Type": "text/html; charset=utf-8"})

    def error_body(self, status: int, message: str) -> object:
        return f"<!DOCTYPE html><html><body><h1>{status} {message}</h1></body></html>"

    def _feed(self, request: Request, *, atom: bool) -> Reply:
        body = self._atom() if atom else self._rss()
        etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
        modified = self._modified()
        headers = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True)}
        if request.header("If-None-Match") == etag or _not_modified_since(request, modified):
            return Reply(304, None, headers)
        kind = "application/atom+xml" if atom else "application/rss+xml"
        return Reply(200, body, {**headers, "Content-Type": f"{kind}; charset=utf-8"})

    def _modified(self) -> datetime:
        return max((post.published for post in self.published), default=datetime(2026, 1, 1, tzinfo=UTC))

    def _items(self) -> list[tuple[str, str, datetime]]:
        items = [(post.title, self.post_url(post.slug), post.published) for post in self.published]
        broken_time = datetime(2026, 12, 2, tzinfo=UTC)
        items += [(f"Missing post {link}", f"{self.url}{link}", broken_time) for link in self.broken_links]
        return sorted(items, key=lambda item: item[2], reverse=True)

    def _rss(self) -> str:
        items = "".join(
            f"<item><title>{escape(title)}</title><link>{escape(link)}</link><guid>{escape(link)}</guid>"
            f"<pubDate>{format_datetime(published, usegmt=True)}</pubDate>"
            f"<description>{escape('A new post from the care team.')}</description></item>"
            for title, link, published in self._items()
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Daytryp Health Blog</title><link>{self.url}/blog/</link>"
            f"<description>Notes from our care team</description>{items}</channel></rss>"
        )

    def _atom(self) -> str:
        entries = "".join(
            f'<entry><title>{escape(title)}</title><link rel="alternate" href="{escape(link)}"/>'
            f"<id>{escape(link)}</id><updated>{published.isoformat()}</updated>"
            f"<summary>A new post from the care team.</summary></entry>"
            for title, link, published in self._items()
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Daytryp Health Blog</title><id>{self.url}/blog/</id>"
            f"<updated>{self._modified().isoformat()}</updated>{entries}</feed>"
        )


def _not_modified_since(request: Request, modified: datetime) -> bool:
    since = request.header("If-Modified-Since")
    if not since or request.header("If-None-Match"):
        return False  # RFC 9110: If-None-Match, when present, decides alone
    try:
        return modified <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
