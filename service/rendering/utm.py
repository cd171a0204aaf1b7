"""UTM parameters on links to the clinic's own site, so its analytics can tell newsletter and X visits apart.

Only links to the clinic's site (the host of CLINIC_WEBSITE_URL, with or without "www.", any case) are tagged; every
other link is left exactly as written. A link that already carries a utm_* parameter keeps its value, and the rest of
an existing query string is kept byte for byte (parameters are appended, never re-encoded).

Email links: utm_source=newsletter, utm_medium=email (`tag_html_links`, `tag_text_links`); posts on X use
`add_utm(..., source="x", medium="social")`.
"""

import html
import re
from collections.abc import Collection
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from markupsafe import escape

EMAIL_SOURCE = "newsletter"
EMAIL_MEDIUM = "email"

_HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_TEXT_URL = re.compile(r"""https?://[^\s<>"']+""", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?)]}"


def _bare(host: str) -> str:
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def site_hosts(website_url: str) -> frozenset[str]:
    """The host names that count as the clinic's own site: the website's host with and without "www."."""
    try:
        host = urlsplit((website_url or "").strip()).hostname
    except ValueError:
        return frozenset()
    if not host:
        return frozenset()
    bare = _bare(host)
    return frozenset({bare, f"www.{bare}"})


def is_own_site(url: str, own_hosts: Collection[str]) -> bool:
    """True for an http(s) link whose host is one of `own_hosts` (see site_hosts)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not host:
        return False
    return host.lower().rstrip(".") in own_hosts


def add_utm(url: str, *, source: str, medium: str, campaign: str, own_hosts: Collection[str]) -> str:
    """The link with utm_source/utm_medium/utm_campaign added if it points at the clinic's site, else unchanged."""
    if not is_own_site(url, own_hosts):
        return url
    parts = urlsplit(url.strip())
    present = {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
    wanted = {"utm_source": source, "utm_medium": medium, "utm_campaign": campaign}
    missing = {name: value for name, value in wanted.items() if value and name not in present}
    if not missing:
        return url
    query = "&".join(part for part in (parts.query, urlencode(missing)) if part)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, parts.fragment))


def _email_utm(url: str, campaign: str, own_hosts: Collection[str]) -> str:
    return add_utm(url, source=EMAIL_SOURCE, medium=EMAIL_MEDIUM, campaign=campaign, own_hosts=own_hosts)


def tag_html_links(document: str, *, campaign: str, website_url: str) -> str:
    """Tag the href of every <a> in an HTML email (attribute values are unescaped, tagged, and escaped again)."""
    own_hosts = site_hosts(website_url)

    def tag(match: re.Match) -> str:
        prefix, quote, value = match.groups()
        url = html.unescape(value)
        tagged = _email_utm(url, campaign, own_hosts)
        if tagged == url:
            return match.group(0)
        return f"{prefix}{quote}{escape(tagged)}{quote}"

    return _HREF.sub(tag, document)


def tag_text_links(text: str, *, campaign: str, website_url: str) -> str:
    """Tag every http(s) URL written out in a plain-text email (punctuation after a URL is not part of it)."""
    own_hosts = site_hosts(website_url)

    def tag(match: re.Match) -> str:
        url = match.group(0)
        stripped = url.rstrip(_TRAILING_PUNCTUATION)
        return _email_utm(stripped, campaign, own_hosts) + url[len(stripped) :]

    return _TEXT_URL.sub(tag, text)
