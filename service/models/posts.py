"""Posts on X as edited for one campaign: the template writes the first draft, the marketer may rewrite it."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import db
from service.models.base import UTCDateTime, utcnow


class PostDraft(db.Model):
    """The post (or thread) one section of one campaign goes out as, once someone edited it.

    `parts` is the thread in order: `[{"text": "...", "media_ids": [3, 7]}, ...]`, each text as it is posted (its
    " i/n" numbering included) and up to four library images (service.models.media.Media ids) per part. Without a
    row, the campaign's post template makes the posts. service/outgoing/posts.py reads it; service/campaigns/posts.py
    writes it.
    """

    __tablename__ = "post_drafts"
    __table_args__ = (UniqueConstraint("section_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    # A section belongs to one campaign, so it alone says which post this is.
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"))
    parts: Mapped[list[dict]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
