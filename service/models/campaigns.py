"""Campaigns, the messages they plan, and the audit log of what people did to them."""

from datetime import date, datetime, time

from sqlalchemy import DDL, JSON, ForeignKey, Index, String, Text, UniqueConstraint, event, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.extensions import db
from service.models.base import UTCDateTime, utcnow
from service.models.composer import EmailIssue, Section
from service.models.statuses import BatchStatus, CampaignStatus, DeliveryStatus, MessageStatus, status_check

SCHEDULE_KINDS = ("once", "drip", "recurring")
CHANNELS = ("email", "x")


class Campaign(db.Model):
    __tablename__ = "campaigns"
    __table_args__ = (status_check(CampaignStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=CampaignStatus.DRAFT, index=True)
    send_email: Mapped[bool] = mapped_column(default=True)
    send_post: Mapped[bool] = mapped_column(default=False)
    email_subject: Mapped[str] = mapped_column(String(200), default="")
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    hashtags: Mapped[str] = mapped_column(String(200), default="")
    # Where posts and emails send readers for the whole article (on the clinic's site).
    link_url: Mapped[str] = mapped_column(String(500), default="")
    # The post template in templates/social/ that makes this campaign's posts on X.
    post_template: Mapped[str] = mapped_column(String(100), default="post.txt", server_default="post.txt")
    # The schedule as the marketer entered it, in the clinic's local time; messages hold the UTC instants.
    schedule_kind: Mapped[str] = mapped_column(String(20), default="once")
    start_date: Mapped[date | None]
    send_time: Mapped[time | None]
    every_days: Mapped[int | None]
    weekday: Mapped[int | None]
    occurrences: Mapped[int | None]
    source_name: Mapped[str | None] = mapped_column(String(300))
    # Show the claims library references of linked claims as numbered notes in the email footer.
    show_references: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Archived campaigns leave the campaign list (a filter shows them); nothing else about them changes.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # "letter" or "digest" (service/models/composer.py EMAIL_LAYOUTS).
    email_layout: Mapped[str] = mapped_column(String(20), default="letter", server_default="letter")
    # The words of every email as last approved (service/composer/snapshot.py): the review shows what changed since.
    approved_content: Mapped[str | None] = mapped_column(Text)
    issues: Mapped[list[EmailIssue]] = relationship(order_by=EmailIssue.position, cascade="all, delete-orphan")
    messages: Mapped[list["Message"]] = relationship(
        back_populates="campaign", order_by="Message.send_at", cascade="all, delete-orphan"
    )

    @property
    def sections(self) -> list[Section]:
        """Every section of every issue, in sending order."""
        return [section for issue in self.issues for section in issue.sections]

    @property
    def channels(self) -> list[str]:
        return [name for name, on in (("email", self.send_email), ("x", self.send_post)) if on]


class Message(db.Model):
    """One issue (email) or one section's post (X) going out on one channel at one time."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("issue_id", "section_id", "channel", "send_at"),
        Index("ix_messages_due", "status", "send_at"),
        status_check(MessageStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    # The email this message sends; an X message also names the section its post is made from.
    issue_id: Mapped[int] = mapped_column(ForeignKey("email_issues.id"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id"))
    channel: Mapped[str] = mapped_column(String(10))
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=MessageStatus.PLANNED)
    # A worker claims a message by writing its id and a lease; an expired lease means that worker died.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Email: the last subscriber id already put into a batch (the audience is walked in id order).
    audience_cursor: Mapped[int] = mapped_column(default=0)
    sent_count: Mapped[int] = mapped_column(default=0)
    # Email: its deliveries (its recipients, as the report counts them), kept by the send ledger as it writes and
    # removes them, so a page need not count a million rows.
    delivery_count: Mapped[int] = mapped_column(default=0, server_default="0")
    total_count: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    campaign: Mapped[Campaign] = relationship(back_populates="messages")
    issue: Mapped[EmailIssue] = relationship()
    section: Mapped[Section | None] = relationship()

    @property
    def heading(self) -> str:
        """What the message sends, in a few words for lists: its post's section, or its email's first section."""
        if self.section is not None:
            return self.section.heading
        return self.issue.sections[0].heading if self.issue.sections else self.issue.subject


class SendBatch(db.Model):
    """One provider request for part of an email message's audience."""

    __tablename__ = "send_batches"
    __table_args__ = (UniqueConstraint("message_id", "number"), status_check(BatchStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    number: Mapped[int]
    # in_flight -> sent | failed; in_flight left by a dead worker -> uncertain (a person decides), or, when SendGrid
    # had refused it (`refused`), resend: the next worker sends it again by itself.
    status: Mapped[str] = mapped_column(String(20), default=BatchStatus.IN_FLIGHT)
    # SendGrid's last answer to this batch's request was a refusal (5xx, 429, unreachable) and no request has left
    # since: SendGrid does not hold it. Committed before the worker waits to try again, so a worker killed in the
    # wait leaves a batch the next one can resend without asking anyone.
    refused: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Written in flight ahead of its request, while the previous batch's request was out, and no request of it has
    # left yet (cleared in the commit just before it leaves): SendGrid does not hold it, so a worker killed meanwhile
    # leaves a batch the next one sends by itself.
    awaiting_request: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A batch handed over ahead of its send time: SendGrid's batch_id for its request (written before the request
    # leaves, a new one for each request) and the send_at it was given. Cancellable at SendGrid until shortly before.
    handover_id: Mapped[str | None] = mapped_column(String(100))
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipient_count: Mapped[int] = mapped_column(default=0)
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Delivery(db.Model):
    """The send ledger: one message to one recipient (email), or one part of a post/thread (X)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("message_id", "subscriber_id"),
        # A post's parts only: an email's deliveries have no part, and an entry for each of them would be written
        # (and kept) once per recipient of every send for an index no email lookup uses.
        Index(
            "uq_deliveries_message_part",
            "message_id",
            "part_index",
            unique=True,
            postgresql_where=text("part_index IS NOT NULL"),
            sqlite_where=text("part_index IS NOT NULL"),
        ),
        status_check(DeliveryStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique (message_id, subscriber_id) index serves lookups by message, and every index
    # is written once per recipient of every send.
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("send_batches.id"), index=True)
    subscriber_id: Mapped[int | None] = mapped_column(ForeignKey("subscribers.id", ondelete="SET NULL"))
    part_index: Mapped[int | None]
    channel: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING)
    provider_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# A delivery is written in flight, then updated when its batch is sent and again by SendGrid's events. Room left in
# each page lets PostgreSQL update rows in place (HOT), without writing every index again: at 1,000 recipients a batch
# that is most of the cost of marking a batch sent. (The migrations set the same.)
event.listen(
    Delivery.__table__,
    "after_create",
    DDL("ALTER TABLE deliveries SET (fillfactor = 50)").execute_if(dialect="postgresql"),
)


class CampaignEdit(db.Model):
    """Who changed what a campaign sends, and when: nobody approves content they changed since its last approval."""

    __tablename__ = "campaign_edits"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(db.Model):
    """Who did what, and when. Never holds a subscriber's address."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(120), default="system")
    action: Mapped[str] = mapped_column(String(60))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    detail: Mapped[str] = mapped_column(Text, default="")
