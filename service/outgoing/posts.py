"""The posts that go out on the social channel: a section as one post, or as a thread of replies.

The campaign's post template writes the first draft (`drafted_parts`); a marketer's edit for this campaign
(service.models.PostDraft, with its images) replaces it. Everything that shows or checks or sends posts reads them
here, so the preview, the claims check and X get the same text and images.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from service.channels.social.base import PostImage
from service.models import Campaign, Media, PostDraft, Section
from service.rendering.clinic import ClinicInfo
from service.rendering.markdown import markdown_to_text
from service.rendering.post import post_link, render_thread


@dataclass(frozen=True)
class ComposedPost:
    """One post of a thread as it goes out: its text and its images (library Media, each with its alt text)."""

    text: str
    images: tuple[Media, ...] = field(default=())


# X's simple upload takes images up to 5 MB and GIFs up to 15 MB: the sharper 2x file when it is within that.
X_MAX_IMAGE_BYTES = {"gif": 15 * 1024 * 1024}
X_DEFAULT_MAX_IMAGE_BYTES = 5 * 1024 * 1024


def post_images(post: ComposedPost, media_dir: str | Path) -> list[PostImage]:
    """The post's images as the social channel uploads them. Raises OSError when a stored file is missing."""
    images = []
    for media in post.images:
        limit = X_MAX_IMAGE_BYTES.get(media.format, X_DEFAULT_MAX_IMAGE_BYTES)
        size = "2x" if media.bytes_2x <= limit else "1x"
        name = media.file_name(size)
        data = (Path(media_dir) / name).read_bytes()
        images.append(PostImage(data=data, filename=name, mime_type=media.mime_type, alt_text=media.alt_text))
    return images


def drafted_parts(campaign: Campaign, section: Section, clinic: ClinicInfo) -> list[str]:
    """What the campaign's post template makes of this section: the first draft, before any edit."""
    return render_thread(
        heading=section.heading,
        body=markdown_to_text(section.body),
        link=post_link(campaign.link_url, website_url=clinic.website_url, campaign_slug=campaign.slug),
        hashtags=campaign.hashtags,
        template=campaign.post_template,
    )


def post_draft_for(session: Session, campaign: Campaign, section: Section) -> PostDraft | None:
    """The edit saved for this section in this campaign, if any."""
    if campaign.id is None or section.id is None:
        return None
    return session.scalar(
        select(PostDraft).where(PostDraft.campaign_id == campaign.id, PostDraft.section_id == section.id)
    )


def posts_from_parts(parts: Iterable[tuple[str, Sequence[int]]], media: Mapping[int, Media]) -> list[ComposedPost]:
    """The posts of an edit, from its (text, media ids) parts in order; an id not in `media` (an image no longer in
    the library) is left out. A saved edit goes out through this, and the editor's preview of an unsaved one."""
    return [ComposedPost(text, tuple(media[i] for i in media_ids if i in media)) for text, media_ids in parts]


def composed_posts(campaign: Campaign, section: Section, clinic: ClinicInfo) -> list[ComposedPost]:
    """The posts this section goes out as in this campaign, in order: the saved edit, or the template's draft."""
    session = object_session(campaign)
    draft = post_draft_for(session, campaign, section) if session is not None else None
    if draft is None or not draft.parts:
        return [ComposedPost(text) for text in drafted_parts(campaign, section, clinic)]
    media_ids = {media_id for part in draft.parts for media_id in part.get("media_ids", [])}
    media = {m.id: m for m in session.scalars(select(Media).where(Media.id.in_(media_ids)))} if media_ids else {}
    return posts_from_parts(((part["text"], part.get("media_ids", [])) for part in draft.parts), media)


def thread_parts_for(campaign: Campaign, section: Section, clinic: ClinicInfo) -> list[str]:
    """The texts of the posts this section becomes in this campaign, in order (previews and checks use it too)."""
    return [post.text for post in composed_posts(campaign, section, clinic)]
