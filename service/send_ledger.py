"""The send ledger: email batches with one delivery per recipient, and the deliveries of posts' parts.

The worker writes a batch in flight before its request and finishes it after; a person's decision about an
uncertain batch (service/campaigns/batches.py) is written here too. This module owns the statuses of batches and
deliveries: every change goes through `_move_batch`, `_move_deliveries` (many rows in one statement) or
`move_delivery` (one row: a post's part, or what SendGrid's events say), which refuse a transition not allowed.
"""

from datetime import datetime

from sqlalchemy import ARRAY, Integer, and_, any_, bindparam, delete, insert, literal, select, update
from sqlalchemy.orm import Session

from service.models import Delivery, Message, SendBatch, Subscriber
from service.models.base import UTCDateTime
from service.models.statuses import BatchStatus, DeliveryStatus
from service.subscribers.audience import audience_among

B, D = BatchStatus, DeliveryStatus
BATCH_TRANSITIONS: dict[BatchStatus, frozenset[BatchStatus]] = {
    B.IN_FLIGHT: frozenset({B.SENT, B.FAILED, B.UNCERTAIN, B.RESEND}),
    B.UNCERTAIN: frozenset({B.RESEND, B.SENT}),  # a person decides
    B.RESEND: frozenset({B.IN_FLIGHT}),
    B.SENT: frozenset(),
    B.FAILED: frozenset(),
}
_AFTER_SENDING = frozenset({D.DEFERRED, D.DELIVERED, D.BLOCKED, D.BOUNCED, D.DROPPED})
DELIVERY_TRANSITIONS: dict[DeliveryStatus | None, frozenset[DeliveryStatus]] = {
    None: frozenset({D.IN_FLIGHT}),  # a post's part, first posted
    D.PENDING: frozenset({D.IN_FLIGHT, D.RESEND}),
    D.IN_FLIGHT: frozenset({D.SENT, D.FAILED, D.UNCERTAIN, D.RESEND, D.PENDING, D.SKIPPED}),
    D.UNCERTAIN: frozenset({D.RESEND, D.SENT, D.SKIPPED}),
    D.RESEND: frozenset({D.IN_FLIGHT, D.SENT, D.SKIPPED}),
    D.FAILED: frozenset({D.IN_FLIGHT, D.RESEND, D.SKIPPED}),
    D.SKIPPED: frozenset(),
    # SendGrid's events move a sent email's delivery forward only (service/email_events.py decides which).
    D.SENT: _AFTER_SENDING,
    D.DEFERRED: _AFTER_SENDING - {D.DEFERRED},
    D.DELIVERED: frozenset({D.BLOCKED, D.BOUNCED, D.DROPPED}),
    D.BLOCKED: frozenset({D.DELIVERED, D.BOUNCED, D.DROPPED}),
    D.BOUNCED: frozenset({D.DROPPED}),
    D.DROPPED: frozenset({D.BOUNCED}),
}


class LedgerTransitionError(ValueError):
    """A change of a batch's or a delivery's status that is not allowed (a bug: callers check first)."""


def _require(table: dict, before, after, what: str) -> None:
    if after != before and after not in table[before]:
        raise LedgerTransitionError(f"{what}: {before} cannot become {after}")


def _move_batch(batch: SendBatch, status: BatchStatus) -> None:
    _require(BATCH_TRANSITIONS, BatchStatus(batch.status), status, f"batch {batch.id}")
    batch.status = status


def _move_deliveries(session: Session, where, before: DeliveryStatus, after: DeliveryStatus, **values) -> None:
    """Every delivery matching `where` and in status `before` moves to `after` (with `values`), in one UPDATE."""
    _require(DELIVERY_TRANSITIONS, before, after, "deliveries")
    session.execute(update(Delivery).where(where, Delivery.status == before).values(status=after, **values))


def move_delivery(delivery: Delivery, status: DeliveryStatus) -> None:
    """Set one delivery's status. Staying in the same status is no change and always allowed."""
    before = DeliveryStatus(delivery.status) if delivery.status else None
    _require(DELIVERY_TRANSITIONS, before, status, f"delivery {delivery.id}")
    delivery.status = status


ABANDONED_NOTE = "The worker stopped while this batch was being sent; it may have gone out."
SKIPPED_ON_RESEND_NOTE = "No longer in the audience when the batch was resent."
# What a finished batch makes of its deliveries still in flight.
_DELIVERY_STATUS_AFTER = {B.SENT: D.SENT, B.UNCERTAIN: D.UNCERTAIN, B.FAILED: D.FAILED}


def mark_abandoned_batches_uncertain(session: Session, message: Message) -> int:
    """Batches of `message` left in flight by a dead worker, and their deliveries, become uncertain (their outcome
    is unknown, so a person decides). Returns how many batches."""
    batch_ids = list(
        session.scalars(select(SendBatch.id).where(SendBatch.message_id == message.id, SendBatch.status == B.IN_FLIGHT))
    )
    if not batch_ids:
        return 0
    _require(BATCH_TRANSITIONS, B.IN_FLIGHT, B.UNCERTAIN, "abandoned batches")
    session.execute(
        update(SendBatch).where(SendBatch.id.in_(batch_ids)).values(status=B.UNCERTAIN, error=ABANDONED_NOTE)
    )
    _move_deliveries(session, Delivery.batch_id.in_(batch_ids), D.IN_FLIGHT, D.UNCERTAIN)
    return len(batch_ids)


def start_batch(session: Session, message: Message, rows: list, now: datetime) -> SendBatch:
    """Write a batch of audience rows in flight (the batch, and a delivery per recipient), advancing the cursor past
    them. No address repeats within a batch: email_hash is unique per subscriber."""
    number = (
        session.scalar(
            select(SendBatch.number)
            .where(SendBatch.message_id == message.id)
            .order_by(SendBatch.number.desc())
            .limit(1)
        )
        or 0
    ) + 1
    batch = SendBatch(
        message_id=message.id, number=number, status=B.IN_FLIGHT, recipient_count=len(rows), started_at=now
    )
    session.add(batch)
    session.flush()
    # One INSERT ... SELECT: the database writes the batch's deliveries without a Python round per row (with up to
    # 1000 rows a batch, per-row parameter handling was a fifth of a whole send's time).
    session.execute(
        insert(Delivery.__table__).from_select(
            ["message_id", "batch_id", "subscriber_id", "channel", "status", "created_at", "updated_at"],
            select(
                literal(message.id),
                literal(batch.id),
                Subscriber.id,
                literal("email"),
                literal(D.IN_FLIGHT.value),
                literal(now, UTCDateTime),
                literal(now, UTCDateTime),
            ).where(_one_of(session, Subscriber.id, [row.id for row in rows])),
        )
    )
    message.audience_cursor = rows[-1].id
    return batch


def _one_of(session: Session, column, ids: list[int]):
    """`column IN ids`; on PostgreSQL as one array parameter: a thousand separate ones cost more to build and parse
    than the database takes to insert the rows."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
    return column.in_(ids)


def finish_batch(
    session: Session, message: Message, batch: SendBatch, status: BatchStatus, now: datetime, **values
) -> None:
    """Record a batch's outcome (sent, uncertain or failed), and its deliveries' in flight; `values` are set on the
    batch (provider_message_id, error). A sent batch adds its recipients to the message's sent count."""
    _move_batch(batch, status)
    batch.finished_at = now
    for name, value in values.items():
        setattr(batch, name, value)
    _move_deliveries(
        session, Delivery.batch_id == batch.id, D.IN_FLIGHT, _DELIVERY_STATUS_AFTER[status], updated_at=now
    )
    if status == B.SENT:
        _count_sent(session, message, batch)


def _count_sent(session: Session, message: Message, batch: SendBatch) -> None:
    # Counted in SQL: the worker and a person marking an uncertain batch delivered may add to the same count at once.
    session.execute(
        update(Message)
        .where(Message.id == message.id)
        .values(sent_count=Message.sent_count + batch.recipient_count)
        .execution_options(synchronize_session=False)
    )


def undo_batch(session: Session, message: Message, batch: SendBatch, cursor_before: int | None) -> None:
    """A batch the provider did not take, as if never tried. A new batch (`cursor_before`: the audience cursor
    before it) is removed and the cursor goes back; a batch being resent (None) is queued for resending again."""
    if cursor_before is None:
        _move_batch(batch, B.RESEND)
        _move_deliveries(session, Delivery.batch_id == batch.id, D.IN_FLIGHT, D.RESEND)
    else:
        session.execute(delete(Delivery).where(Delivery.batch_id == batch.id))
        session.delete(batch)
        message.audience_cursor = cursor_before


def next_batch_to_resend(session: Session, message: Message) -> SendBatch | None:
    return session.scalar(
        select(SendBatch)
        .where(SendBatch.message_id == message.id, SendBatch.status == B.RESEND)
        .order_by(SendBatch.number)
        .limit(1)
    )


def start_resend(session: Session, message: Message, batch: SendBatch, now: datetime) -> list:
    """Put a batch a person asked to resend back in flight, for those of its recipients still in the audience;
    the others are skipped (they left, or were suppressed, since). Returns the rows to send to."""
    queued = select(Delivery.subscriber_id).where(Delivery.batch_id == batch.id, Delivery.status == D.RESEND)
    rows = audience_among(session, message.campaign.topics or [], queued)
    left = and_(Delivery.batch_id == batch.id, Delivery.subscriber_id.not_in([row.id for row in rows]))
    _move_deliveries(session, left, D.RESEND, D.SKIPPED, error=SKIPPED_ON_RESEND_NOTE, updated_at=now)
    _move_deliveries(session, Delivery.batch_id == batch.id, D.RESEND, D.IN_FLIGHT, updated_at=now)
    _move_batch(batch, B.IN_FLIGHT)
    batch.recipient_count, batch.started_at, batch.finished_at = len(rows), now, None
    return rows


def queue_resend(session: Session, batch: SendBatch, now: datetime) -> None:
    """A person asked to resend an uncertain batch: the worker sends it before its message's next new batch."""
    _move_batch(batch, B.RESEND)
    _move_deliveries(session, Delivery.batch_id == batch.id, D.UNCERTAIN, D.RESEND, updated_at=now)


def mark_delivered(session: Session, message: Message, batch: SendBatch, note: str, now: datetime) -> None:
    """A person recorded an uncertain batch as sent: its recipients count as sent and are never sent it again."""
    _move_batch(batch, B.SENT)
    batch.finished_at, batch.error = now, note
    _move_deliveries(session, Delivery.batch_id == batch.id, D.UNCERTAIN, D.SENT, updated_at=now)
    _count_sent(session, message, batch)
    session.expire(message, ["sent_count"])
