"""Erasing a subscriber on request: the personal data goes; a keyed hash of the address stays suppressed.

The hash is what lets the list refuse the address forever (imports, signups, sends) without keeping it.
"""

from sqlalchemy import update
from sqlalchemy.orm import Session

from service import audit
from service.models import Delivery, Subscriber, User
from service.subscribers.suppressions import ERASED, ensure_suppressed


def erase_subscriber(session: Session, subscriber: Subscriber, *, actor: User) -> int:
    """Delete the subscriber and their topics, keep the suppression, log who did it. Returns the erased id.

    The send ledger keeps its rows (campaign counts stay right) but no longer points at anyone. The caller commits.
    """
    subscriber_id = subscriber.id
    ensure_suppressed(session, subscriber.email_hash, ERASED, overrule=True)
    # Explicit rather than trusting ON DELETE SET NULL: SQLite enforces foreign keys only when asked to.
    session.execute(update(Delivery).where(Delivery.subscriber_id == subscriber_id).values(subscriber_id=None))
    session.delete(subscriber)
    audit.record(
        session,
        "subscriber:erased",
        actor=actor,
        detail=f"subscriber #{subscriber_id}: personal data erased, address kept only as a keyed hash (suppressed)",
    )
    return subscriber_id
