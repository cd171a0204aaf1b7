"""What SendGrid's event webhook told us about the emails we sent: one row per event, once per sg_event_id."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import db
from service.models.base import UTCDateTime, utcnow

# The events we keep. Opens and clicks only when the clinic has turned tracking on.
EMAIL_EVENT_KINDS = (
    "processed",
    "delivered",
    "deferred",
    "bounce",
    "dropped",
    "spamreport",
    "unsubscribe",
    "group_unsubscribe",
    "group_resubscribe",
    "open",
    "click",
)


class EmailEvent(db.Model):
    """One provider event. Never holds an address: the recipient is known by subscriber (and delivery) id."""

    __tablename__ = "email_events"
    __table_args__ = (
        Index("ix_email_events_message_event", "message_id", "event"),
        # List growth's bounces and complaints per week: one event kind over a range of time.
        Index("ix_email_events_event_occurred_at", "event", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # SendGrid's id for the event; a retried webhook delivery carries the same id, so it is recorded once.
    sg_event_id: Mapped[str] = mapped_column(String(100), unique=True)
    event: Mapped[str] = mapped_column(String(30))
    # A bounce's type ("bounce" or "blocked"); empty for other events.
    kind: Mapped[str] = mapped_column(String(30), default="")
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id", ondelete="SET NULL"))
    subscriber_id: Mapped[int | None] = mapped_column(ForeignKey("subscribers.id", ondelete="SET NULL"))
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MessageEventCount(db.Model):
    """How many of one message's events (of one event and kind) a statement added (or, negative, removed).

    Kept by the database itself on PostgreSQL (triggers in service/campaigns/event_counts.py), in the same
    transaction as every change to email events. Rows are only ever inserted, so no transaction waits for another's
    row; a message's figure is the sum of its rows (a row per event kind per webhook request, far fewer than its
    events). Empty (and unused) on SQLite.
    """

    __tablename__ = "message_event_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(30))
    kind: Mapped[str] = mapped_column(String(30))
    n: Mapped[int]
