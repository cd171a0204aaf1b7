"""Leaving: one click, at once, and for good until the owner confirms a new signup."""

from datetime import datetime

from sqlalchemy.orm import Session

from service.models import Subscriber
from service.subscribers.signup import set_topics
from service.subscribers.suppressions import ensure_suppressed

LEFT_STATUSES = ("unsubscribed", "bounced", "complained")


def unsubscribe(session: Session, subscriber: Subscriber, now: datetime) -> bool:
    """Stop all email to the subscriber. True if this call changed anything; calling it again is harmless.

    Bounced and complained subscribers keep that status (it says more); every case ends on the suppression list.
    """
    changed = False
    if subscriber.status not in LEFT_STATUSES:
        subscriber.status = "unsubscribed"
        subscriber.unsubscribed_at = now
        changed = True
    if ensure_suppressed(session, subscriber.email_hash, "unsubscribed") in session.new:
        changed = True
    return changed


def change_topics(subscriber: Subscriber, topics: list[str]) -> None:
    """The owner picked new topics on their preferences page (at least one; leaving is `unsubscribe`)."""
    if not topics:
        raise ValueError("at least one topic")
    set_topics(subscriber, topics)


def change_first_name(subscriber: Subscriber, first_name: str) -> None:
    subscriber.first_name = first_name
