"""What X says of each post the campaigns made: its latest public totals, fetched by the worker."""

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import db
from service.models.base import UTCDateTime


class PostMetrics(db.Model):
    """The latest public totals of one post (one part of a thread): the delivery whose `provider_id` is X's post id.

    Each fetch replaces them (service/worker/post_metrics.py). `impressions` is None when X gives none. `gone_at`:
    the last fetch found the post no longer on X (deleted, or hidden from the account); the totals are the last it
    gave (none: zeros, and no impressions).
    """

    __tablename__ = "post_metrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), unique=True)
    likes: Mapped[int] = mapped_column(default=0)
    reposts: Mapped[int] = mapped_column(default=0)
    replies: Mapped[int] = mapped_column(default=0)
    quotes: Mapped[int] = mapped_column(default=0)
    impressions: Mapped[int | None]
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    gone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
