"""A post as X shows it: its text in pieces (links shortened for display, hashtags), and the link card.

For previews only; what is posted is the text itself. X counts every link as 23 characters and shows it without
its scheme, cut to about that length with an ellipsis; the card under a post without images is built from the
article we link to (its title and the start of its text), never fetched from the network.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from twitter_text import extract_urls_with_indices

# twitter-text's Python port extracts no hashtags: near enough for a preview (a # after a space, then a word).
_HASHTAG = re.compile(r"(?<![\w&/#])#\w*[^\W\d_]\w*")

# X's t.co length; a displayed link is at most this many characters, ellipsis included.
DISPLAYED_LINK_LENGTH = 23
CARD_DESCRIPTION_LENGTH = 160


@dataclass(frozen=True)
class Piece:
    kind: str  # "text", "link" or "hashtag"
    text: str  # what is shown
    href: str = ""  # for a link: where it goes


@dataclass(frozen=True)
class LinkCard:
    url: str
    domain: str
    title: str
    description: str
    image_url: str = ""


def displayed_link(url: str) -> str:
    """The link as X shows it: no scheme, no "www.", cut to 23 characters with an ellipsis."""
    shown = url.split("://", 1)[-1].removeprefix("www.")
    if len(shown) <= DISPLAYED_LINK_LENGTH:
        return shown
    return shown[: DISPLAYED_LINK_LENGTH - 1] + "…"


def pieces_of(text: str) -> list[Piece]:
    """The post's text as X lays it out, in order."""
    entities = [("link", e) for e in extract_urls_with_indices(text)]
    entities += [("hashtag", {"indices": [m.start(), m.end()]}) for m in _HASHTAG.finditer(text)]
    pieces, position = [], 0
    for kind, entity in sorted(entities, key=lambda item: item[1]["indices"][0]):
        start, end = entity["indices"]
        if start < position:
            continue  # a hashtag inside a URL's fragment belongs to the URL
        if start > position:
            pieces.append(Piece("text", text[position:start]))
        raw = text[start:end]
        if kind == "link":
            href = raw if "://" in raw else f"https://{raw}"
            pieces.append(Piece("link", displayed_link(raw), href))
        else:
            pieces.append(Piece("hashtag", raw))
        position = end
    if position < len(text):
        pieces.append(Piece("text", text[position:]))
    return pieces


def last_link(text: str) -> str | None:
    """The link X makes a card of: the last one in the post."""
    urls = extract_urls_with_indices(text)
    return urls[-1]["url"] if urls else None


def link_card(url: str, *, title: str, text: str, image_url: str = "") -> LinkCard:
    """The card for `url`, from the article's title and the start of its text."""
    words = " ".join(text.split())
    description = words if len(words) <= CARD_DESCRIPTION_LENGTH else words[: CARD_DESCRIPTION_LENGTH - 1] + "…"
    domain = urlsplit(url if "://" in url else f"https://{url}").hostname or ""
    return LinkCard(
        url=url, domain=domain.removeprefix("www."), title=title, description=description, image_url=image_url
    )
