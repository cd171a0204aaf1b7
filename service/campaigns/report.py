"""A campaign's report: its emails per message and for the whole campaign, from the send ledger and the email events;
its posts on X per post and per thread, with the public totals the worker last read from X.

Recipients are the deliveries the worker recorded (one per address the email went to); the rest are counts of the
events kept once each by `service.email_events` (SendGrid's webhook) and `unsubscribe_attribution` (Tidings' own
unsubscribe links and one-click header, which name the message they came in). A hard bounce is SendGrid's type
"bounce"; a soft bounce is its type "blocked" (a temporary refusal by the receiving server).
"""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from service.campaigns.event_counts import event_source
from service.models import Campaign, Delivery, Message, MessageLink, PostMetrics


@dataclass(frozen=True)
class EmailFigures:
    recipients: int = 0
    delivered: int = 0
    deferred: int = 0
    hard_bounces: int = 0
    soft_bounces: int = 0
    dropped: int = 0
    complaints: int = 0
    unsubscribes: int = 0

    def __add__(self, other: "EmailFigures") -> "EmailFigures":
        return EmailFigures(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def complaint_rate(self) -> float:
        """Spam complaints per delivered email (the rate Gmail and Yahoo hold bulk senders to)."""
        return self.complaints / self.delivered if self.delivered else 0.0

    @property
    def hard_bounce_rate(self) -> float:
        return self.hard_bounces / self.recipients if self.recipients else 0.0

    @property
    def delivered_rate(self) -> float:
        return self.delivered / self.recipients if self.recipients else 0.0


@dataclass(frozen=True)
class MessageReport:
    message_id: int
    send_at: datetime
    heading: str
    status: str
    figures: EmailFigures


@dataclass(frozen=True)
class CampaignReport:
    campaign_id: int
    messages: list[MessageReport]

    @property
    def totals(self) -> EmailFigures:
        return sum((row.figures for row in self.messages), EmailFigures())

    @property
    def sent_messages(self) -> int:
        return sum(1 for row in self.messages if row.status == "sent")


def _event_count(source, weight, event: str, kind: str | None = None):
    condition = source.event == event if kind is None else (source.event == event) & (source.kind == kind)
    return func.coalesce(func.sum(case((condition, weight), else_=0)), 0)


def figures_by_message(session: Session, messages: Sequence[Message]) -> dict[int, EmailFigures]:
    """The figures of each of these email messages, by id (messages with nothing yet get zeros). Recipients are the
    deliveries the send ledger counted for each; the rest is summed from the event counts PostgreSQL keeps (counted
    from the events elsewhere, see service/campaigns/event_counts.py), in one query."""
    if not messages:
        return {}
    source, weight = event_source(session)

    def count(event: str, kind: str | None = None):
        return _event_count(source, weight, event, kind)

    events = {
        row[0]: row[1:]
        for row in session.execute(
            select(
                source.message_id,
                count("delivered"),
                count("deferred"),
                count("bounce") - count("bounce", "blocked"),
                count("bounce", "blocked"),
                count("dropped"),
                count("spamreport"),
                count("unsubscribe") + count("group_unsubscribe"),
            )
            .where(source.message_id.in_([message.id for message in messages]))
            .group_by(source.message_id)
        ).all()
    }
    return {
        message.id: EmailFigures(message.delivery_count, *(int(n) for n in events.get(message.id, (0,) * 7)))
        for message in messages
    }


def campaign_report(session: Session, campaign: Campaign) -> CampaignReport:
    messages = session.scalars(
        select(Message).where(Message.campaign_id == campaign.id, Message.channel == "email").order_by(Message.send_at)
    ).all()
    figures = figures_by_message(session, messages)
    return CampaignReport(
        campaign_id=campaign.id,
        messages=[
            MessageReport(message.id, message.send_at, message.heading, message.status, figures[message.id])
            for message in messages
        ],
    )


def link_clicks(session: Session, campaign: Campaign) -> list[MessageLink]:
    """The counted links of the campaign's messages with their totals (empty unless click counting was on)."""
    return list(
        session.scalars(
            select(MessageLink)
            .join(Message, Message.id == MessageLink.message_id)
            .where(Message.campaign_id == campaign.id)
            .order_by(MessageLink.message_id, MessageLink.id)
        )
    )


@dataclass(frozen=True)
class PostFigures:
    """A post's public totals on X, or a thread's summed. `impressions` is None when X gave none for any of them."""

    impressions: int | None = None
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0

    def __add__(self, other: "PostFigures") -> "PostFigures":
        known = [n for n in (self.impressions, other.impressions) if n is not None]
        return PostFigures(
            sum(known) if known else None,
            self.likes + other.likes,
            self.reposts + other.reposts,
            self.replies + other.replies,
            self.quotes + other.quotes,
        )


@dataclass(frozen=True)
class PublishedPost:
    message_id: int
    part_index: int  # 0 for a post, 1.. for the replies of a thread
    post_id: str
    figures: PostFigures | None = None  # None until the worker first read them
    fetched_at: datetime | None = None
    gone: bool = False  # X no longer shows it (deleted, or hidden); the figures are the last it gave

    @property
    def url(self) -> str:
        # X resolves this address for any account's post.
        return f"https://x.com/i/web/status/{self.post_id}"


@dataclass(frozen=True)
class PublishedThread:
    """One X message as it went out: a post, or a thread of replies, with its public totals."""

    message_id: int
    heading: str
    posts: list[PublishedPost]

    @property
    def totals(self) -> PostFigures | None:
        counted = [post.figures for post in self.posts if post.figures is not None]
        return sum(counted, PostFigures()) if counted else None

    @property
    def fetched_at(self) -> datetime | None:
        return max((post.fetched_at for post in self.posts if post.fetched_at), default=None)


def published_threads(session: Session, campaign: Campaign) -> list[PublishedThread]:
    """The campaign's posts on X that went out, by message (in sending order) and part, with their public totals as
    the worker last read them (service/worker/post_metrics.py)."""
    rows = session.execute(
        select(Message, Delivery.part_index, Delivery.provider_id, PostMetrics)
        .join(Delivery, Delivery.message_id == Message.id)
        .outerjoin(PostMetrics, PostMetrics.delivery_id == Delivery.id)
        .where(
            Message.campaign_id == campaign.id,
            Delivery.channel == "x",
            Delivery.provider_id.is_not(None),
        )
        .order_by(Message.send_at, Message.id, Delivery.part_index)
    ).all()
    threads: dict[int, PublishedThread] = {}
    for message, part_index, post_id, metrics in rows:
        thread = threads.setdefault(message.id, PublishedThread(message.id, message.heading, []))
        thread.posts.append(_published(message.id, part_index or 0, post_id, metrics))
    return list(threads.values())


def _published(message_id: int, part_index: int, post_id: str, metrics: PostMetrics | None) -> PublishedPost:
    if metrics is None:
        return PublishedPost(message_id, part_index, post_id)
    figures = PostFigures(metrics.impressions, metrics.likes, metrics.reposts, metrics.replies, metrics.quotes)
    return PublishedPost(message_id, part_index, post_id, figures, metrics.fetched_at, metrics.gone_at is not None)


CSV_COLUMNS = (
    "message",
    "send_at_utc",
    "heading",
    "status",
    "recipients",
    "delivered",
    "deferred",
    "hard_bounces",
    "soft_bounces",
    "dropped",
    "complaints",
    "unsubscribes",
    "complaint_rate",
    "hard_bounce_rate",
)


def report_csv(report: CampaignReport) -> str:
    """The report as CSV: one row per email message, then a "total" row. Rates are fractions (0.0012 = 0.12%)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in report.messages:
        writer.writerow(
            [row.message_id, row.send_at.isoformat(), _csv_text(row.heading), row.status, *_figures_cells(row.figures)]
        )
    writer.writerow(["total", "", "", "", *_figures_cells(report.totals)])
    return out.getvalue()


POST_CSV_COLUMNS = (
    "message",
    "heading",
    "part",
    "url",
    "impressions",
    "likes",
    "reposts",
    "replies",
    "quotes",
    "read_at_utc",
    "on_x",
)


def posts_csv(threads: list[PublishedThread]) -> str:
    """The posts on X as CSV: one row per post (part 0 a post or a thread's first, 1.. its replies), then a "total"
    row per thread of several. Figures are empty until the worker first read them; impressions also when X gave
    none."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(POST_CSV_COLUMNS)
    for thread in threads:
        heading = _csv_text(thread.heading)
        for post in thread.posts:
            read_at = post.fetched_at.isoformat() if post.fetched_at else ""
            on_x = "no" if post.gone else "yes"
            writer.writerow(
                [thread.message_id, heading, post.part_index, post.url, *_post_cells(post.figures), read_at, on_x]
            )
        if len(thread.posts) > 1:
            writer.writerow([thread.message_id, heading, "total", "", *_post_cells(thread.totals), "", ""])
    return out.getvalue()


def _post_cells(figures: PostFigures | None) -> list:
    if figures is None:
        return [""] * 5
    impressions = "" if figures.impressions is None else figures.impressions
    return [impressions, figures.likes, figures.reposts, figures.replies, figures.quotes]


def _figures_cells(figures: EmailFigures) -> list:
    values = [getattr(figures, f.name) for f in fields(figures)]
    return [*values, f"{figures.complaint_rate:.4f}", f"{figures.hard_bounce_rate:.4f}"]


def _csv_text(text: str) -> str:
    # A heading starting with = + - @ would be read as a formula by a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
