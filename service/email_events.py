"""What SendGrid's events do: to deliveries (their status after sending) and to suppressions.

Each event is kept once, by its sg_event_id (SendGrid retries deliveries, and a replay inside the window carries the
same ids). Bounces (except temporary "blocked" ones), drops, spam reports and unsubscribes put the address on the
suppression list; delivered/deferred/bounce move the delivery's status forward; opens and clicks are kept only when
the clinic has turned tracking on. No address is stored: events point at the subscriber and delivery.

The webhook's request is checked first, by the channel (`service.channels.email.sendgrid_webhook.verify_request`).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.models import Delivery, EmailEvent, Message, Subscriber
from service.models.email_events import EMAIL_EVENT_KINDS
from service.subscribers.identity import email_hash
from service.subscribers.suppressions import LIFTABLE_REASONS, ensure_suppressed, suppression_for
from service.subscribers.unsubscribe import unsubscribe

# Event -> the suppression reason it adds.
SUPPRESSING_EVENTS = {
    "bounce": "bounced",
    "dropped": "dropped",
    "spamreport": "complained",
    "unsubscribe": "unsubscribed",
    "group_unsubscribe": "unsubscribed",
}
TRACKING_EVENTS = ("open", "click")
# A delivery's status after it was sent only moves forward: a late "deferred" never undoes "delivered".
_DELIVERY_RANK = {"sent": 0, "deferred": 1, "delivered": 2, "blocked": 2, "bounced": 3, "dropped": 3}
_DELIVERY_STATUS_FOR = {"delivered": "delivered", "deferred": "deferred", "bounce": "bounced", "dropped": "dropped"}


@dataclass
class RecordResult:
    recorded: int = 0
    duplicates: int = 0
    ignored: int = 0


def record_events(session: Session, events: object, *, hash_key: str, tracking: bool, now: datetime) -> RecordResult:
    """Record a webhook payload (a JSON array of events) and apply its effects. Commits nothing.

    Raises ValueError when the payload is not a list of objects.
    """
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        raise ValueError("the payload must be a JSON array of event objects")
    result = RecordResult()
    for event in events:
        outcome = _record(session, event, hash_key=hash_key, tracking=tracking, now=now)
        setattr(result, outcome, getattr(result, outcome) + 1)
    return result


def _record(session: Session, event: dict, *, hash_key: str, tracking: bool, now: datetime) -> str:
    sg_event_id, name = event.get("sg_event_id"), event.get("event")
    if not isinstance(sg_event_id, str) or not sg_event_id or name not in EMAIL_EVENT_KINDS:
        return "ignored"
    if name in TRACKING_EVENTS and not tracking:
        return "ignored"
    if session.scalar(select(EmailEvent.id).where(EmailEvent.sg_event_id == sg_event_id)) is not None:
        return "duplicates"
    address = event.get("email") if isinstance(event.get("email"), str) else None
    address_hash = email_hash(address, hash_key) if address else None
    subscriber = (
        session.scalar(select(Subscriber).where(Subscriber.email_hash == address_hash)) if address_hash else None
    )
    message_id = _message_id(session, event.get("message_id"))
    delivery = None
    if message_id is not None and subscriber is not None:
        delivery = session.scalar(
            select(Delivery).where(Delivery.message_id == message_id, Delivery.subscriber_id == subscriber.id)
        )
    kind = event.get("type") if name == "bounce" and isinstance(event.get("type"), str) else ""
    try:
        # A savepoint: a webhook delivered twice at once would otherwise fail the whole payload on the unique id.
        with session.begin_nested():
            session.add(
                EmailEvent(
                    sg_event_id=sg_event_id[:100],
                    event=name,
                    kind=kind[:30],
                    message_id=message_id,
                    delivery_id=delivery.id if delivery else None,
                    subscriber_id=subscriber.id if subscriber else None,
                    occurred_at=_occurred_at(event.get("timestamp")),
                    received_at=now,
                )
            )
    except IntegrityError:
        return "duplicates"
    blocked = name == "bounce" and kind == "blocked"
    if name in SUPPRESSING_EVENTS and address_hash and not blocked:
        _suppress(session, SUPPRESSING_EVENTS[name], address_hash, subscriber, now)
    if delivery is not None:
        _advance_delivery(delivery, "blocked" if blocked else _DELIVERY_STATUS_FOR.get(name), now)
    return "recorded"


def _message_id(session: Session, value: object) -> int | None:
    try:
        message_id = int(str(value))
    except ValueError:
        return None
    return message_id if session.get(Message, message_id) is not None else None


def _occurred_at(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _suppress(session: Session, reason: str, address_hash: str, subscriber: Subscriber | None, now: datetime) -> None:
    if reason == "unsubscribed" and subscriber is not None:
        unsubscribe(session, subscriber, now)
        return
    existing = suppression_for(session, address_hash)
    # A bounce or complaint outranks an unsubscribe (which its owner could lift); nothing outranks an erasure.
    overrule = existing is not None and existing.reason in LIFTABLE_REASONS and reason not in LIFTABLE_REASONS
    ensure_suppressed(session, address_hash, reason, overrule=overrule)
    if subscriber is not None:
        if reason == "complained":
            subscriber.status = "complained"
        elif reason == "bounced" and subscriber.status != "complained":
            subscriber.status = "bounced"


def _advance_delivery(delivery: Delivery, status: str | None, now: datetime) -> None:
    # Only deliveries known to be sent: an uncertain one keeps its flag for a person (its events count as evidence).
    if status is None or delivery.status not in _DELIVERY_RANK:
        return
    if _DELIVERY_RANK[status] >= _DELIVERY_RANK[delivery.status]:
        delivery.status, delivery.updated_at = status, now
