"""Claiming messages in the database, so two workers running at once never send the same message.

A claim is a compare-and-set UPDATE: it succeeds for exactly one worker on SQLite and on PostgreSQL alike. The claim
carries a lease; a worker renews it after each batch, and a lease that ran out means its worker died.
"""

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from service.models import Campaign, Message

LEASE = timedelta(seconds=90)
RUNNABLE_CAMPAIGN_STATUSES = ("scheduled", "sending")


def due_message_ids(session: Session, now: datetime, limit: int = 20) -> list[int]:
    """Messages whose time has come and that no live worker holds, oldest first."""
    query = (
        select(Message.id)
        .join(Campaign, Campaign.id == Message.campaign_id)
        .where(
            Campaign.status.in_(RUNNABLE_CAMPAIGN_STATUSES),
            Message.send_at <= now,
            or_(
                Message.status == "planned",
                and_(Message.status == "sending", Message.lease_until < now),
            ),
        )
        .order_by(Message.send_at, Message.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def claim_message(session: Session, message_id: int, worker_id: str, now: datetime) -> bool:
    """Take the message for this worker. True if this worker now holds it; commits nothing by itself."""
    result = session.execute(
        update(Message)
        .where(
            Message.id == message_id,
            or_(
                Message.status == "planned",
                and_(Message.status == "sending", Message.lease_until < now),
            ),
        )
        .values(status="sending", claimed_by=worker_id, lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def renew_lease(session: Session, message: Message, worker_id: str, now: datetime) -> bool:
    """Extend the lease; False if another worker took the message over (this one must stop touching it)."""
    result = session.execute(
        update(Message)
        .where(Message.id == message.id, Message.claimed_by == worker_id, Message.status == "sending")
        .values(lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release(message: Message) -> None:
    message.claimed_by = None
    message.lease_until = None
