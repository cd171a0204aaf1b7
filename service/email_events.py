"""What SendGrid's events do: to deliveries (their status after sending) and to suppressions.

Each event is kept once, by its sg_event_id (SendGrid retries deliveries, and a replay inside the window carries the
same ids). Bounces (except temporary "blocked" ones), drops, spam reports and unsubscribes put the address on the
suppression list; delivered/deferred/bounce move the delivery's status forward; opens and clicks are kept only when
the clinic has turned tracking on. No address is stored: events point at the subscriber and delivery.

A payload (SendGrid sends up to a thousand events at once) is handled as sets, not event by event: one lookup of
the ids already kept (a replayed payload costs only that), one lookup each of subscribers, messages and deliveries,
one INSERT ... ON CONFLICT DO NOTHING of the events (a payload delivered twice at once records each event once), then
the effects of the events actually recorded: one upsert of suppressions and an UPDATE per resulting status of
deliveries and of subscribers. The effects are folded in payload order first, so they are those of applying the
events one after another.

The webhook's request is checked first, by the channel (`service.channels.email.sendgrid_webhook.verify_request`).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Integer, String, and_, or_, select, update
from sqlalchemy.orm import Session

from service.models import Delivery, EmailEvent, Message, Subscriber, Suppression
from service.models.email_events import EMAIL_EVENT_KINDS
from service.models.statuses import DeliveryStatus
from service.send_ledger import move_deliveries_among
from service.subscribers.identity import email_hash
from service.subscribers.suppressions import LIFTABLE_REASONS
from service.subscribers.unsubscribe import LEFT_STATUSES
from service.upserts import insert_ignoring_conflicts, insert_on_conflict, one_of

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
SG_EVENT_ID_LENGTH = 100


@dataclass
class RecordResult:
    recorded: int = 0
    duplicates: int = 0
    ignored: int = 0
    # The messages that recorded events name (their figures changed: the guardrails look at them again).
    message_ids: set[int] = field(default_factory=set)


@dataclass
class _Event:
    """One event of the payload, as it will be stored, with what it needs for its effects."""

    sg_event_id: str
    name: str
    kind: str
    address_hash: str | None
    message_id: int | None
    occurred_at: datetime | None
    subscriber_id: int | None = None
    delivery_id: int | None = None

    @property
    def blocked(self) -> bool:
        return self.name == "bounce" and self.kind == "blocked"


def record_events(session: Session, events: object, *, hash_key: str, tracking: bool, now: datetime) -> RecordResult:
    """Record a webhook payload (a JSON array of events) and apply its effects. Commits nothing.

    Raises ValueError when the payload is not a list of objects.
    """
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        raise ValueError("the payload must be a JSON array of event objects")
    result = RecordResult()
    wanted: dict[str, dict] = {}
    for event in events:
        sg_event_id, name = event.get("sg_event_id"), event.get("event")
        if not _kept_kind(sg_event_id, name, tracking):
            result.ignored += 1
        elif sg_event_id[:SG_EVENT_ID_LENGTH] in wanted:
            result.duplicates += 1
        else:
            wanted[sg_event_id[:SG_EVENT_ID_LENGTH]] = event
    if not wanted:
        return result
    kept = set(session.scalars(select(EmailEvent.sg_event_id).where(_among(session, EmailEvent.sg_event_id, wanted))))
    fresh = [_parsed(key, event, hash_key) for key, event in wanted.items() if key not in kept]
    result.duplicates += len(kept)
    if not fresh:
        return result
    subscribers = _resolve(session, fresh)
    recorded = _insert_events(session, fresh, now)
    result.recorded, result.duplicates = len(recorded), result.duplicates + len(fresh) - len(recorded)
    applied = [event for event in fresh if event.sg_event_id in recorded]
    result.message_ids = {event.message_id for event in applied if event.message_id is not None}
    _apply_suppressions(session, applied, subscribers, now)
    _advance_deliveries(session, applied, now)
    return result


def _kept_kind(sg_event_id: object, name: object, tracking: bool) -> bool:
    if not isinstance(sg_event_id, str) or not sg_event_id or name not in EMAIL_EVENT_KINDS:
        return False
    return tracking or name not in TRACKING_EVENTS


def _among(session: Session, column, values) -> object:
    return one_of(session, column, list(values), String)


def _parsed(sg_event_id: str, event: dict, hash_key: str) -> _Event:
    name = event["event"]
    address = event.get("email") if isinstance(event.get("email"), str) else None
    kind = event.get("type") if name == "bounce" and isinstance(event.get("type"), str) else ""
    return _Event(
        sg_event_id=sg_event_id,
        name=name,
        kind=kind[:30],
        address_hash=email_hash(address, hash_key) if address else None,
        message_id=_message_id(event.get("message_id")),
        occurred_at=_occurred_at(event.get("timestamp")),
    )


def _resolve(session: Session, events: list[_Event]) -> dict[int, str]:
    """Fill in each event's subscriber, message and delivery (one query each). Returns the subscribers' statuses."""
    hashes = {event.address_hash for event in events if event.address_hash}
    subscriber_of: dict[str, tuple[int, str]] = {}
    if hashes:
        rows = session.execute(
            select(Subscriber.email_hash, Subscriber.id, Subscriber.status).where(
                _among(session, Subscriber.email_hash, hashes)
            )
        )
        subscriber_of = {row.email_hash: (row.id, row.status) for row in rows}
    asked = {event.message_id for event in events if event.message_id is not None}
    messages = set()
    if asked:
        messages = set(session.scalars(select(Message.id).where(one_of(session, Message.id, list(asked), Integer))))
    for event in events:
        event.message_id = event.message_id if event.message_id in messages else None
        event.subscriber_id = subscriber_of.get(event.address_hash, (None, None))[0]
    pairs = {(e.message_id, e.subscriber_id) for e in events if None not in (e.message_id, e.subscriber_id)}
    if pairs:
        rows = session.execute(
            select(Delivery.id, Delivery.message_id, Delivery.subscriber_id).where(
                one_of(session, Delivery.message_id, sorted({m for m, _ in pairs}), Integer),
                one_of(session, Delivery.subscriber_id, sorted({s for _, s in pairs}), Integer),
            )
        )
        delivery_of = {(row.message_id, row.subscriber_id): row.id for row in rows}
        for event in events:
            event.delivery_id = delivery_of.get((event.message_id, event.subscriber_id))
    return {subscriber_id: status for subscriber_id, status in subscriber_of.values()}


def _insert_events(session: Session, events: list[_Event], now: datetime) -> set[str]:
    """Insert the events, skipping any another request recorded meanwhile. Returns the ids this call recorded."""
    table = EmailEvent.__table__
    rows = [
        {
            "sg_event_id": event.sg_event_id,
            "event": event.name,
            "kind": event.kind,
            "message_id": event.message_id,
            "delivery_id": event.delivery_id,
            "subscriber_id": event.subscriber_id,
            "occurred_at": event.occurred_at,
            "received_at": now,
        }
        for event in events
    ]
    return insert_ignoring_conflicts(session, table, rows, key="sg_event_id")


def _apply_suppressions(session: Session, events: list[_Event], statuses: dict[int, str], now: datetime) -> None:
    reasons: dict[str, str] = {}
    status_after = dict(statuses)
    unsubscribed: set[int] = set()
    for event in events:
        if event.name not in SUPPRESSING_EVENTS or not event.address_hash or event.blocked:
            continue
        reason = SUPPRESSING_EVENTS[event.name]
        # A bounce or complaint outranks an unsubscribe (which its owner could lift); nothing outranks an erasure.
        if event.address_hash not in reasons or (
            reasons[event.address_hash] in LIFTABLE_REASONS and reason not in LIFTABLE_REASONS
        ):
            reasons[event.address_hash] = reason
        if event.subscriber_id is not None:
            before = status_after[event.subscriber_id]
            status_after[event.subscriber_id] = _subscriber_status_after(before, reason)
            if reason == "unsubscribed" and before not in LEFT_STATUSES:
                unsubscribed.add(event.subscriber_id)
    if reasons:
        table = Suppression.__table__
        rows = [{"email_hash": key, "reason": reason, "created_at": now} for key, reason in reasons.items()]
        # One multi-row statement, not one per address (the keys are distinct, so no row is affected twice).
        statement = insert_on_conflict(session, table).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.email_hash],
            set_={"reason": statement.excluded.reason},
            where=and_(
                or_(*(table.c.reason == reason for reason in LIFTABLE_REASONS)),
                *(statement.excluded.reason != reason for reason in LIFTABLE_REASONS),
            ),
        )
        session.execute(statement)
    _update_subscribers(session, statuses, status_after, unsubscribed, now)


def _subscriber_status_after(status: str, reason: str) -> str:
    if reason == "unsubscribed":
        return status if status in LEFT_STATUSES else "unsubscribed"
    if reason == "complained":
        return "complained"
    if reason == "bounced" and status != "complained":
        return "bounced"
    return status


def _update_subscribers(session, before: dict, after: dict, unsubscribed: set, now: datetime) -> None:
    changed: dict[tuple[str, bool], list[int]] = {}
    for subscriber_id, status in after.items():
        if status != before[subscriber_id]:
            changed.setdefault((status, subscriber_id in unsubscribed), []).append(subscriber_id)
    for (status, left_now), ids in changed.items():
        values = {"status": status, "unsubscribed_at": now} if left_now else {"status": status}
        session.execute(
            update(Subscriber)
            .where(one_of(session, Subscriber.id, ids, Integer))
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def _advance_deliveries(session: Session, events: list[_Event], now: datetime) -> None:
    # The last of the highest-ranked statuses the payload gives each delivery: what applying them in turn leaves.
    target: dict[int, str] = {}
    for event in events:
        status = "blocked" if event.blocked else _DELIVERY_STATUS_FOR.get(event.name)
        if event.delivery_id is None or status is None:
            continue
        current = target.get(event.delivery_id)
        if current is None or _DELIVERY_RANK[status] >= _DELIVERY_RANK[current]:
            target[event.delivery_id] = status
    by_status: dict[str, list[int]] = {}
    for delivery_id, status in target.items():
        by_status.setdefault(status, []).append(delivery_id)
    for status, ids in by_status.items():
        # Only deliveries known to be sent, and only forward: an uncertain one keeps its flag for a person (its
        # events count as evidence); the status is checked in the statement, as it is now.
        not_above = [DeliveryStatus(name) for name, rank in _DELIVERY_RANK.items() if rank <= _DELIVERY_RANK[status]]
        move_deliveries_among(session, ids, not_above, DeliveryStatus(status), updated_at=now)


def _message_id(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _occurred_at(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
