"""The send ledger: email batches with one delivery per recipient, and the deliveries of posts' parts.

The worker writes a batch in flight before its request and finishes it after; a person's decision about an
uncertain batch (service/campaigns/batches.py) is written here too. This module owns the statuses of batches and
deliveries: every change goes through `_move_batch`, `_move_deliveries` (many rows in one statement) or
`move_delivery` (one row: a post's part, or what SendGrid's events say), which refuse a transition not allowed.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import ARRAY, Integer, and_, any_, bindparam, delete, insert, literal, or_, select, text, update
from sqlalchemy.orm import Session

from service.models import Delivery, Message, SendBatch, Subscriber
from service.models.base import UTCDateTime
from service.models.statuses import BatchStatus, DeliveryStatus
from service.subscribers.audience import audience_among
from service.upserts import one_of

B, D = BatchStatus, DeliveryStatus
BATCH_TRANSITIONS: dict[BatchStatus, frozenset[BatchStatus]] = {
    B.IN_FLIGHT: frozenset({B.SENT, B.FAILED, B.UNCERTAIN, B.RESEND}),
    # A person decides, or the worker resends one SendGrid confirmed it cancelled (service/worker/handover.py).
    B.UNCERTAIN: frozenset({B.RESEND, B.SENT}),
    B.RESEND: frozenset({B.IN_FLIGHT}),
    # A batch handed over ahead of its send time and cancelled at SendGrid: for good, or to be handed over again.
    B.SENT: frozenset({B.CANCELLED, B.RESEND}),
    B.FAILED: frozenset(),
    B.CANCELLED: frozenset(),
}
_AFTER_SENDING = frozenset({D.DEFERRED, D.DELIVERED, D.BLOCKED, D.BOUNCED, D.DROPPED})
DELIVERY_TRANSITIONS: dict[DeliveryStatus | None, frozenset[DeliveryStatus]] = {
    # A post's part, first posted; or refused before it was posted (X refused its images: pending, failed).
    None: frozenset({D.IN_FLIGHT, D.PENDING, D.FAILED}),
    D.PENDING: frozenset({D.IN_FLIGHT, D.RESEND, D.FAILED}),
    D.IN_FLIGHT: frozenset({D.SENT, D.FAILED, D.UNCERTAIN, D.RESEND, D.PENDING, D.SKIPPED}),
    D.UNCERTAIN: frozenset({D.RESEND, D.SENT, D.SKIPPED}),
    D.RESEND: frozenset({D.IN_FLIGHT, D.SENT, D.SKIPPED, D.PENDING, D.FAILED}),
    D.FAILED: frozenset({D.IN_FLIGHT, D.RESEND, D.SKIPPED}),
    D.SKIPPED: frozenset(),
    D.CANCELLED: frozenset(),
    # SendGrid's events move a sent email's delivery forward only (service/email_events.py decides which).
    # ... or a handed-over batch is cancelled at SendGrid before its send time (withdraw_batch).
    D.SENT: _AFTER_SENDING | {D.CANCELLED, D.RESEND},
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


def move_deliveries_among(
    session: Session, ids: list[int], before: list[DeliveryStatus], after: DeliveryStatus, **values
) -> None:
    """Those of the deliveries `ids` in one of the statuses `before` move to `after` (with `values`), in one UPDATE:
    what SendGrid's events say, a webhook payload at a time."""
    for status in before:
        _require(DELIVERY_TRANSITIONS, status, after, "deliveries")
    session.execute(
        update(Delivery)
        .where(one_of(session, Delivery.id, ids, Integer), Delivery.status.in_(before))
        .values(status=after, **values)
        .execution_options(synchronize_session=False)
    )


def move_delivery(delivery: Delivery, status: DeliveryStatus) -> None:
    """Set one delivery's status. Staying in the same status is no change and always allowed."""
    before = DeliveryStatus(delivery.status) if delivery.status else None
    _require(DELIVERY_TRANSITIONS, before, status, f"delivery {delivery.id}")
    delivery.status = status


ABANDONED_NOTE = "The worker stopped while this batch was being sent; it may have gone out."
REFUSED_NOTE = "The worker stopped while waiting to try again after SendGrid refused this batch; sent again."
AHEAD_NOTE = "The worker stopped before this batch's request left; sent again."
SKIPPED_ON_RESEND_NOTE = "No longer in the audience when the batch was resent."
# What a finished batch makes of its deliveries still in flight.
_DELIVERY_STATUS_AFTER = {B.SENT: D.SENT, B.UNCERTAIN: D.UNCERTAIN, B.FAILED: D.FAILED}
# What a batch withdrawn at SendGrid makes of its sent deliveries.
_WITHDRAWN_DELIVERY = {B.CANCELLED: D.CANCELLED, B.RESEND: D.RESEND}


def settle_abandoned_batches(session: Session, message: Message) -> tuple[list[SendBatch], list[SendBatch]]:
    """Batches of `message` left in flight by a dead worker, with their deliveries: one known not to have gone out
    (written ahead and its request never left, SendGrid had refused it and no request left since, or its hand-over
    request never left) is queued to be sent again by the worker; any other may have gone out, so it becomes
    uncertain (the worker may still cancel it at SendGrid, see service/worker/handover.py). The uncertain returned
    include a handed-over batch settled earlier whose cancel was never asked for. Returns (queued again, uncertain)."""
    # Known not sent: SendGrid refused its last try, or it was to be handed over and has no batch_id yet (the id is
    # written before the request leaves).
    refused = or_(SendBatch.refused, and_(SendBatch.scheduled_for.is_not(None), SendBatch.handover_id.is_(None)))
    # Locked (PostgreSQL): a worker that lost the message may be recording its late answer for one of them (see
    # service/worker/email_send.py); its batch is then read as it left it, not settled over it.
    abandoned = session.execute(
        select(SendBatch.id, SendBatch.awaiting_request, refused)
        .where(SendBatch.message_id == message.id, SendBatch.status == B.IN_FLIGHT)
        .order_by(SendBatch.number)
        .with_for_update(of=SendBatch)
    ).all()
    ahead = [batch_id for batch_id, awaiting, _ in abandoned if awaiting]
    was_refused = [batch_id for batch_id, awaiting, known in abandoned if known and not awaiting]
    unknown = [batch_id for batch_id, awaiting, known in abandoned if not (known or awaiting)]
    requeued = set(_set_abandoned(session, ahead, B.RESEND, D.RESEND, AHEAD_NOTE))
    requeued |= set(_set_abandoned(session, was_refused, B.RESEND, D.RESEND, REFUSED_NOTE))
    uncertain = set(_set_abandoned(session, unknown, B.UNCERTAIN, D.UNCERTAIN, ABANDONED_NOTE))
    uncertain |= set(_never_cancelled(session, message))
    batches = session.scalars(
        select(SendBatch).where(SendBatch.id.in_(requeued | uncertain)).order_by(SendBatch.number)
    ).all()
    return [b for b in batches if b.id in requeued], [b for b in batches if b.id in uncertain]


def _set_abandoned(
    session: Session, batch_ids: list[int], status: BatchStatus, delivery_status: DeliveryStatus, note: str
) -> list[int]:
    """Move those of `batch_ids` still in flight; returns the ids moved. SQLite has no row locks: a worker that lost
    the message may have recorded one of them since it was read, and what it recorded stands."""
    if not batch_ids:
        return []
    _require(BATCH_TRANSITIONS, B.IN_FLIGHT, status, "abandoned batches")
    still_in_flight = and_(SendBatch.id.in_(batch_ids), SendBatch.status == B.IN_FLIGHT)
    moved = list(
        session.scalars(
            update(SendBatch)
            .where(still_in_flight)
            .values(status=status, error=note, awaiting_request=False)
            .returning(SendBatch.id)
        )
    )
    _move_deliveries(session, Delivery.batch_id.in_(moved), D.IN_FLIGHT, delivery_status)
    return moved


def _never_cancelled(session: Session, message: Message) -> list[int]:
    """Handed-over batches settled uncertain whose cancel was never asked for: the worker that settled them stopped
    before it asked SendGrid (the settle is committed first, so no lock is held while SendGrid answers). Their error is
    still the settle's note alone; a cancel's outcome, either way, changes it."""
    return list(
        session.scalars(
            select(SendBatch.id).where(
                SendBatch.message_id == message.id,
                SendBatch.status == B.UNCERTAIN,
                SendBatch.handover_id.is_not(None),
                SendBatch.error == ABANDONED_NOTE,
            )
        )
    )


def record_refusal(session: Session, batch: SendBatch) -> None:
    """SendGrid answered this batch's request without taking it; the channel is about to wait and try again."""
    batch.refused = True


def record_handover(session: Session, batch: SendBatch, handover_id: str, send_at: datetime) -> None:
    """The batch's next request goes to SendGrid ahead of `send_at` under this batch_id (committed before it leaves,
    so a worker that finds the request unanswered knows what to cancel)."""
    batch.handover_id, batch.scheduled_for = handover_id, send_at


def requeue_cancelled(session: Session, batch: SendBatch, note: str, now: datetime) -> None:
    """SendGrid confirmed it cancelled the batch's handed-over request: the worker sends the batch again (under a
    new batch_id)."""
    _move_batch(batch, B.RESEND)
    batch.error, batch.handover_id, batch.refused = note, None, False
    for before in (D.IN_FLIGHT, D.UNCERTAIN):
        _move_deliveries(session, Delivery.batch_id == batch.id, before, D.RESEND, updated_at=now)


def withdraw_batch(
    session: Session, message: Message, batch: SendBatch, status: BatchStatus, note: str, now: datetime
) -> None:
    """A sent batch SendGrid still held was cancelled there (its campaign was paused or cancelled): it is no longer
    sent. `status`: cancelled for good, or resend to be handed over again."""
    _move_batch(batch, status)
    batch.error, batch.handover_id = note, None
    _move_deliveries(session, Delivery.batch_id == batch.id, D.SENT, _WITHDRAWN_DELIVERY[status], updated_at=now)
    session.execute(
        update(Message)
        .where(Message.id == message.id)
        .values(sent_count=Message.sent_count - batch.recipient_count)
        .execution_options(synchronize_session=False)
    )
    session.expire(message, ["sent_count"])


def record_request_leaving(session: Session, batch: SendBatch) -> None:
    """A request for this batch is about to leave (committed before it does): from now on SendGrid may hold it."""
    batch.refused = batch.awaiting_request = False


def start_batch(session: Session, message: Message, rows: list, now: datetime) -> SendBatch:
    """Write a batch of audience rows in flight ahead of its request (the batch, and a delivery per recipient),
    advancing the cursor past them; `record_request_leaving` before its request leaves. No address repeats within a
    batch: email_hash is unique per subscriber."""
    batch = open_batch(session, message, rows, now)
    write_in_flight(session, message, batch, rows, now)
    return batch


def open_batch(session: Session, message: Message, rows: list, now: datetime) -> SendBatch:
    """The first half of `start_batch`: the batch's row (its id known), without its deliveries."""
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
        message_id=message.id,
        number=number,
        status=B.IN_FLIGHT,
        recipient_count=len(rows),
        started_at=now,
        awaiting_request=True,
    )
    session.add(batch)
    session.flush()
    return batch


def write_in_flight(session: Session, message: Message, batch: SendBatch, rows: list, now: datetime) -> None:
    """The second half of `start_batch`: the batch's deliveries in flight, and the cursor past them."""
    # One INSERT ... SELECT: the database writes the batch's deliveries without a Python round per row (with up to
    # 1000 rows a batch, per-row parameter handling was a fifth of a whole send's time).
    with _foreign_keys_checked_by_index(session):
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
    # In SQL, in the same UPDATE as the cursor (a person's resend decision may write the message too).
    message.delivery_count = Message.delivery_count + len(rows)


@contextmanager
def _foreign_keys_checked_by_index(session: Session) -> Iterator[None]:
    """PostgreSQL checks each delivery's three foreign keys row by row, with a plan it makes once per connection (and
    again after the table's statistics change). Made while `send_batches` or `messages` looked small (analyzed when
    nearly empty, as on a new database), that plan scans the whole table for every row: a thousand scans a batch,
    each longer than the last, which doubled a million-recipient send's time. Made (or made again) inside this
    block, it walks the primary key instead. Only an email's deliveries check a batch's key; a post's part checks the
    message's too, with a plan PostgreSQL may make outside it (a short scan: messages do not grow during a send)."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        session.execute(text("SET LOCAL enable_seqscan = off"))
    yield
    if postgresql:
        session.execute(text("SET LOCAL enable_seqscan TO DEFAULT"))


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
        batch.awaiting_request = False
        _move_deliveries(session, Delivery.batch_id == batch.id, D.IN_FLIGHT, D.RESEND)
    else:
        removed = session.execute(delete(Delivery).where(Delivery.batch_id == batch.id)).rowcount
        session.delete(batch)
        message.audience_cursor = cursor_before
        message.delivery_count = Message.delivery_count - removed


def next_batch_to_resend(session: Session, message: Message) -> SendBatch | None:
    return session.scalar(
        select(SendBatch)
        .where(SendBatch.message_id == message.id, SendBatch.status == B.RESEND)
        .order_by(SendBatch.number)
        .limit(1)
    )


def start_resend(session: Session, message: Message, batch: SendBatch, now: datetime) -> list:
    """Put a batch a person asked to resend back in flight ahead of its request (as `start_batch`), for those of its
    recipients still in the audience; the others are skipped (they left, or were suppressed, since). Returns the rows
    to send to."""
    queued = select(Delivery.subscriber_id).where(Delivery.batch_id == batch.id, Delivery.status == D.RESEND)
    rows = audience_among(session, message.campaign.topics or [], queued)
    left = and_(Delivery.batch_id == batch.id, Delivery.subscriber_id.not_in([row.id for row in rows]))
    _move_deliveries(session, left, D.RESEND, D.SKIPPED, error=SKIPPED_ON_RESEND_NOTE, updated_at=now)
    _move_deliveries(session, Delivery.batch_id == batch.id, D.RESEND, D.IN_FLIGHT, updated_at=now)
    _move_batch(batch, B.IN_FLIGHT)
    batch.recipient_count, batch.started_at, batch.finished_at = len(rows), now, None
    batch.refused, batch.handover_id, batch.awaiting_request = False, None, True
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
