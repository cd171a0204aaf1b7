"""The clinic's blog feed: each check of it, each item it listed, and the recipe that turns a new article into a
draft campaign."""

from datetime import datetime, time

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.extensions import db
from service.models.base import UTCDateTime, utcnow
from service.models.campaigns import Campaign
from service.models.content import Article

# ok: the feed was read; not_modified: it answered 304 (nothing fetched); the others say why it could not be read.
FEED_CHECK_OUTCOMES = ("ok", "not_modified", "unreachable", "not_a_feed", "refused")
# imported: its page became an article; duplicate: that article was already there; failed: its page could not be
# read (tried again at the next checks, up to MAX_ENTRY_ATTEMPTS); earlier: listed at the first read of the feed,
# published before Tidings read it, so not imported (a marketer can import it by its address).
FEED_ENTRY_STATUSES = ("imported", "duplicate", "failed", "earlier")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class FeedCheck(db.Model):
    """One check of the blog feed, as the feed page shows it. The latest one's validators make the next GET
    conditional."""

    __tablename__ = "feed_checks"
    __table_args__ = (CheckConstraint(_in("outcome", FEED_CHECK_OUTCOMES), name="outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    feed_url: Mapped[str] = mapped_column(String(1000))
    outcome: Mapped[str] = mapped_column(String(20))
    # For a person: why the feed could not be read, or which items' pages could not be.
    message: Mapped[str] = mapped_column(Text, default="")
    items_listed: Mapped[int] = mapped_column(default=0)
    articles_imported: Mapped[int] = mapped_column(default=0)
    items_failed: Mapped[int] = mapped_column(default=0)
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))


class FeedEntry(db.Model):
    """One item the feed listed, by the URL of its page: an item is imported at most once."""

    __tablename__ = "feed_entries"
    __table_args__ = (CheckConstraint(_in("status", FEED_ENTRY_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(1000), unique=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=1)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_tried_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    # Why no draft was made from the article (the recipe could not be applied), for a person.
    draft_error: Mapped[str | None] = mapped_column(Text)
    # The marketers' email about the draft: claimed (set) before sending, so two workers never both send it.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    article: Mapped[Article | None] = relationship()
    campaign: Mapped[Campaign | None] = relationship()


class FeedRecipe(db.Model):
    """How a new article from the feed becomes a draft campaign; one row, edited on the feed settings page."""

    __tablename__ = "feed_recipes"

    id: Mapped[int] = mapped_column(primary_key=True)
    include_intro: Mapped[bool] = mapped_column(default=True)
    # How many of the article's sections after the intro; 0 takes them all.
    section_count: Mapped[int] = mapped_column(default=3)
    send_email: Mapped[bool] = mapped_column(default=True)
    send_post: Mapped[bool] = mapped_column(default=False)
    # The composer's layout name (its engine comes with the composer); stored so drafts can carry it.
    layout: Mapped[str] = mapped_column(String(50), default="letter")
    post_template: Mapped[str] = mapped_column(String(100), default="post.txt")
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The proposed send: the next such weekday (0 = Monday) at this clinic-local time.
    send_weekday: Mapped[int] = mapped_column(default=1)
    send_time: Mapped[time] = mapped_column(default=time(9, 0))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
