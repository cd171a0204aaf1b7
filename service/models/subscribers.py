"""Subscribers, their topics, and the suppression list."""

import secrets
from datetime import datetime

from sqlalchemy import DDL, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.extensions import db
from service.models.base import UTCDateTime, utcnow

SUBSCRIBER_STATUSES = ("pending", "confirmed", "unsubscribed", "bounced", "complained")


def new_public_id() -> str:
    """A random id for links: unlike the row id, it says nothing of how many subscribers there are, or who is next."""
    return secrets.token_urlsafe(16)


class Subscriber(db.Model):
    __tablename__ = "subscribers"
    __table_args__ = (
        Index("ix_subscribers_status_id", "status", "id"),
        # Home's last 30 days and list growth's weeks read ranges of these instants, not the whole list.
        Index("ix_subscribers_created_at", "created_at"),
        Index("ix_subscribers_confirmed_at", "confirmed_at"),
        Index("ix_subscribers_unsubscribed_at", "unsubscribed_at"),
        # Search by part of an address or name (ILIKE '%alma%'): trigram indexes on PostgreSQL keep it fast at a
        # million rows; elsewhere they are plain indexes and the search scans, still correct.
        Index("ix_subscribers_email_trgm", "email", postgresql_using="gin", postgresql_ops={"email": "gin_trgm_ops"}),
        Index(
            "ix_subscribers_first_name_trgm",
            "first_name",
            postgresql_using="gin",
            postgresql_ops={"first_name": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What subscribers' link tokens carry (never the row id).
    public_id: Mapped[str] = mapped_column(String(22), unique=True, default=new_public_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # Keyed hash of the normalised address: joins with suppressions, which outlive the address itself.
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    first_name: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where consent came from: "form", "api" or "import"; for imports, consent_note keeps the file's own source.
    consent_source: Mapped[str | None] = mapped_column(String(40))
    consent_note: Mapped[str | None] = mapped_column(String(200))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the last confirmation email went out: repeated signups for one address are throttled by it.
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    topic_links: Mapped[list["SubscriberTopic"]] = relationship(cascade="all, delete-orphan")

    @property
    def topics(self) -> list[str]:
        return sorted(link.topic for link in self.topic_links)


class SubscriberTopic(db.Model):
    __tablename__ = "subscriber_topics"
    __table_args__ = (Index("ix_subscriber_topics_topic_subscriber", "topic", "subscriber_id"),)

    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(40), primary_key=True)


class Suppression(db.Model):
    """An address that must never be mailed again, kept only as a keyed hash."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AudienceCount(db.Model):
    """How many subscribers are in any audience, by the exact set of topics they have: confirmed and not suppressed.

    Kept by the database itself on PostgreSQL (triggers in service/subscribers/audience_counts.py), in the same
    transaction as every change to subscribers, their topics or suppressions; an audience's size is then the sum over
    the few topic sets that meet its topics, exact at any list size. Empty (and unused) on SQLite.
    """

    __tablename__ = "audience_counts"

    # The topics, sorted and joined with commas ("" for none).
    topics: Mapped[str] = mapped_column(String(400), primary_key=True)
    subscribers: Mapped[int] = mapped_column(default=0)


class SubscriberStatusCount(db.Model):
    """How many subscribers have each status; kept by the database on PostgreSQL like AudienceCount."""

    __tablename__ = "subscriber_status_counts"

    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    subscribers: Mapped[int] = mapped_column(default=0)


class GrowthCount(db.Model):
    """How many signups, confirmations and unsubscribes (by source, and by topic) and how many bounces and complaints
    fell in each quarter hour (UTC), for list growth.

    Kept by the database itself on PostgreSQL (triggers in service/subscribers/growth_counts.py), in the same
    transaction as every change to subscribers, their topics or email events, like AudienceCount. A quarter hour,
    because every zone's offset from UTC is a whole number of them (+05:30 and +05:45 included): any clinic
    timezone's weeks, which start at local midnight, are then whole sums of buckets. Empty (and unused) on SQLite.
    """

    __tablename__ = "growth_counts"

    # The quarter hour's start, UTC.
    bucket: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    # One of growth.MEASURES.
    measure: Mapped[str] = mapped_column(String(20), primary_key=True)
    # "source" or "topic" for the subscriber measures (each subscriber counts once by source, once per topic);
    # "total" for bounces and complaints.
    dimension: Mapped[str] = mapped_column(String(10), primary_key=True)
    # The source (an empty or missing one counts as "form"), the topic, or "" for a total.
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    n: Mapped[int] = mapped_column(default=0)


# The trigram operator classes come from the pg_trgm extension (the migration creates it too).
event.listen(
    Subscriber.__table__,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)
