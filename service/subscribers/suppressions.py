"""The suppression list: keyed hashes of addresses that must not be mailed.

Only "unsubscribed" can be lifted, and only by the address's owner confirming a fresh signup. Bounces, complaints
and erasures stay for good: nothing a stranger can type into a form brings such an address back.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Suppression

LIFTABLE_REASONS = ("unsubscribed",)
ERASED = "erased"


def suppression_for(session: Session, email_hash: str) -> Suppression | None:
    return session.scalar(select(Suppression).where(Suppression.email_hash == email_hash))


def blocks_signup(suppression: Suppression | None) -> bool:
    return suppression is not None and suppression.reason not in LIFTABLE_REASONS


def ensure_suppressed(session: Session, email_hash: str, reason: str, *, overrule: bool = False) -> Suppression:
    """Add the hash to the list, once. `overrule` replaces an existing reason (an erasure outranks everything)."""
    suppression = suppression_for(session, email_hash)
    if suppression is None:
        suppression = Suppression(email_hash=email_hash, reason=reason)
        session.add(suppression)
    elif overrule:
        suppression.reason = reason
    return suppression


def lift_for_owner(session: Session, email_hash: str) -> None:
    """The owner confirmed a new signup: an earlier unsubscribe no longer stands in the way."""
    suppression = suppression_for(session, email_hash)
    if suppression is not None and suppression.reason in LIFTABLE_REASONS:
        session.delete(suppression)
