"""Keeping no more than we need: signups nobody confirmed are deleted after a while.

An address that was never confirmed may have been typed by someone else; it is not the clinic's to keep. The worker
runs this daily; `flask subscribers purge-pending` runs it by hand.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from service import audit
from service.models import Delivery, Subscriber, SubscriberTopic

_CHUNK = 1000


def purge_unconfirmed(session: Session, now: datetime, days: float) -> int:
    """Delete signups left unconfirmed for longer than `days`, with their topics. Returns how many; commits."""
    cutoff = now - timedelta(days=days)
    stale = select(Subscriber.id).where(Subscriber.status == "pending", Subscriber.created_at < cutoff)
    ids = list(session.scalars(stale))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        session.execute(delete(SubscriberTopic).where(SubscriberTopic.subscriber_id.in_(chunk)))
        # Explicit rather than trusting ON DELETE SET NULL: SQLite enforces foreign keys only when asked to.
        session.execute(update(Delivery).where(Delivery.subscriber_id.in_(chunk)).values(subscriber_id=None))
        session.execute(delete(Subscriber).where(Subscriber.id.in_(chunk)))
    if ids:
        audit.record(session, "subscribers:purged_pending", detail=f"{len(ids)} unconfirmed for over {days:g} days")
    session.commit()
    return len(ids)
