"""Articles as imported, and the snippets they are split into."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.extensions import db
from service.models.base import UTCDateTime, utcnow


class Article(db.Model):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    source_format: Mapped[str] = mapped_column(String(20))
    source_name: Mapped[str | None] = mapped_column(String(300))
    # The page it was fetched from (import by URL, the blog feed): the same page is never imported twice.
    source_url: Mapped[str | None] = mapped_column(String(1000), unique=True)
    # The page's lead image, kept as a link with its alt text (never downloaded).
    lead_image_url: Mapped[str | None] = mapped_column(String(1000))
    lead_image_alt: Mapped[str | None] = mapped_column(String(500))
    raw_text: Mapped[str] = mapped_column(Text)
    # Hash of the normalised source text: importing the same file twice finds the first import.
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    snippets: Mapped[list["Snippet"]] = relationship(
        back_populates="article", order_by="Snippet.position", cascade="all, delete-orphan"
    )


class Snippet(db.Model):
    __tablename__ = "snippets"
    __table_args__ = (UniqueConstraint("article_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"))
    position: Mapped[int]
    heading: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)

    article: Mapped[Article] = relationship(back_populates="snippets")
