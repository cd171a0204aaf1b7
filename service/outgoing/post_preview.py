"""A thread as X would show it, for the campaign's preview and the post editor: the account, each post's text in
pieces (links shortened for display), its images, and the link card under a post without images."""

from collections.abc import Mapping
from dataclasses import dataclass

from service.media.urls import media_base_url
from service.models import Campaign, Section
from service.outgoing.posts import ComposedPost, composed_posts
from service.rendering.clinic import ClinicInfo
from service.rendering.markdown import markdown_to_text
from service.rendering.post_display import LinkCard, Piece, last_link, link_card, pieces_of
from service.rendering.post_length import weighted_length


@dataclass(frozen=True)
class XAccount:
    name: str
    handle: str
    avatar_url: str

    @property
    def initial(self) -> str:
        return (self.name or self.handle or "?")[:1].upper()

    @classmethod
    def from_config(cls, config: Mapping) -> "XAccount":
        return cls(name=config["X_DISPLAY_NAME"], handle=config["X_HANDLE"], avatar_url=config["X_AVATAR_URL"])


@dataclass(frozen=True)
class PreviewImage:
    url: str
    srcset: str
    alt_text: str


@dataclass(frozen=True)
class PreviewPost:
    text: str
    weighted_length: int
    pieces: list[Piece]
    images: list[PreviewImage]
    card: LinkCard | None


def preview_posts(posts: list[ComposedPost], *, section: Section, config: Mapping) -> list[PreviewPost]:
    """The posts in thread order (the first at the top), each as X lays it out; the link card is the article's the
    section was copied from (a section written in Tidings has none)."""
    base = media_base_url(config)
    article = section.source_snippet.article if section.source_snippet is not None else None
    previews = []
    for post in posts:
        images = [PreviewImage(m.url("1x", base_url=base), m.srcset(base_url=base), m.alt_text) for m in post.images]
        link = None if images else last_link(post.text)
        card = (
            link_card(link, title=article.title, text=markdown_to_text(section.body))
            if link and article is not None
            else None
        )
        previews.append(PreviewPost(post.text, weighted_length(post.text), pieces_of(post.text), images, card))
    return previews


def campaign_thread_preview(campaign: Campaign, section: Section, config: Mapping) -> list[PreviewPost]:
    """What this section goes out as on X in this campaign, as X would show it."""
    posts = composed_posts(campaign, section, ClinicInfo.from_config(config))
    return preview_posts(posts, section=section, config=config)
