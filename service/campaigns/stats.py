"""Per-campaign email figures for the campaign page: what was sent, and what SendGrid's events said about it."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.campaigns.event_counts import event_source
from service.models import Campaign, Message


@dataclass(frozen=True)
class EmailStats:
    sent: int = 0  # recipients whose batch SendGrid accepted (or a person marked delivered)
    delivered: int = 0
    deferred: int = 0
    bounced: int = 0  # hard bounces: the address is suppressed
    blocked: int = 0  # temporary blocks by the receiving server
    dropped: int = 0
    spam_reports: int = 0
    unsubscribes: int = 0
    opens: int = 0  # only counted while tracking is on
    clicks: int = 0
    tracking: bool = False

    @property
    def any_events(self) -> bool:
        return any(
            (self.delivered, self.deferred, self.bounced, self.blocked, self.dropped, self.spam_reports)
            + (self.unsubscribes, self.opens, self.clicks)
        )


def campaign_email_stats(session: Session, campaign: Campaign, *, tracking: bool) -> EmailStats:
    """Counts over all the campaign's email messages. Events are counted once each (they are kept once), from the
    counts PostgreSQL keeps (see service/campaigns/event_counts.py)."""
    sent = session.scalar(
        select(func.coalesce(func.sum(Message.sent_count), 0)).where(
            Message.campaign_id == campaign.id, Message.channel == "email"
        )
    )
    source, weight = event_source(session)
    counts: dict[tuple[str, str], int] = {
        (event, kind): int(number)
        for event, kind, number in session.execute(
            select(source.event, source.kind, func.sum(weight))
            .join(Message, Message.id == source.message_id)
            .where(Message.campaign_id == campaign.id)
            .group_by(source.event, source.kind)
        ).all()
    }

    def total(event: str) -> int:
        return sum(number for (name, _), number in counts.items() if name == event)

    return EmailStats(
        sent=int(sent or 0),
        delivered=total("delivered"),
        deferred=total("deferred"),
        bounced=total("bounce") - counts.get(("bounce", "blocked"), 0),
        blocked=counts.get(("bounce", "blocked"), 0),
        dropped=total("dropped"),
        spam_reports=total("spamreport"),
        unsubscribes=total("unsubscribe") + total("group_unsubscribe"),
        opens=total("open") if tracking else 0,
        clicks=total("click") if tracking else 0,
        tracking=tracking,
    )
