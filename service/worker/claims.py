"""Claiming messages in the database, so two workers running at once never send the same message.

A claim is a compare-and-set UPDATE: it succeeds for exactly one worker on SQLite and on PostgreSQL alike. The claim
carries a lease; a worker renews it after each batch, and a lease that ran out means its worker died. A worker that
stops on purpose hands the message back (no lease), so the next worker takes it over at once.

A planned message that fell due longer ago than the grace allows (no worker ran) is never claimed: it is marked
missed, and a person sends it now or skips it.

While a send hold is active (a send's complaints or hard bounces passed their limit, see
service.campaigns.guardrails), no email message is claimed, and one being sent stops before its next batch.
"""

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import audit
from service.campaigns.recovery import RUNNING_CAMPAIGN_STATUSES
from service.models import Campaign, Message, SendHold, WorkerLease
from service.models.statuses import MessageStatus

# These compare-and-set UPDATEs are the message moves planned | paused | abandoned sending -> sending and
# planned -> missed of service/campaigns/messages.py, made in SQL so that only one worker wins each.
M = MessageStatus

# How long a claim lasts unless the worker says otherwise (WorkerContext.lease, from WORKER_LEASE_SECONDS).
LEASE = timedelta(seconds=90)
DISPATCH_LEASE = "dispatch"
MISSED_NOTE = "Fell due while no worker was running, longer ago than the grace period: send it now or skip it."


# SEND HOLD: the one place the worker asks whether email sends are held; every claim and every batch goes through it.
_ACTIVE_HOLD = exists().where(SendHold.acknowledged_at.is_(None))


def _not_held() -> ColumnElement[bool]:
    return or_(Message.channel != "email", ~_ACTIVE_HOLD)


def email_sends_held(session: Session) -> bool:
    """True while an admin has not yet released a send hold: an email send stops before its next batch."""
    return bool(session.scalar(select(_ACTIVE_HOLD)))


def _claimable(now: datetime, missed_before: datetime) -> ColumnElement[bool]:
    """A message a worker may take: planned (within the grace), resumed after a pause, or left by its worker; and,
    for email, no send hold active."""
    return and_(
        or_(
            and_(Message.status == M.PLANNED, Message.send_at >= missed_before),
            Message.status == M.PAUSED,
            and_(Message.status == M.SENDING, or_(Message.lease_until.is_(None), Message.lease_until < now)),
        ),
        _not_held(),
    )


def _due(now: datetime, missed_before: datetime, exclude: Collection[int], handover_lead: timedelta):
    # An email message is handed over to SendGrid ahead of its send time (see service/worker/handover.py).
    due = Message.send_at <= now
    if handover_lead:
        due = or_(due, and_(Message.channel == "email", Message.send_at <= now + handover_lead))
    query = (
        select(Message.id)
        .join(Campaign, Campaign.id == Message.campaign_id)
        .where(Campaign.status.in_(RUNNING_CAMPAIGN_STATUSES), due, _claimable(now, missed_before))
        .order_by(Message.send_at, Message.id)
    )
    return query.where(Message.id.not_in(exclude)) if exclude else query


def claim_message(
    session: Session, message_id: int, worker_id: str, now: datetime, missed_before: datetime, lease: timedelta = LEASE
) -> bool:
    """Take the message for this worker for `lease`. True if this worker now holds it; commits nothing by itself."""
    result = session.execute(
        update(Message)
        .where(Message.id == message_id, _claimable(now, missed_before))
        .values(status=M.SENDING, claimed_by=worker_id, lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def claim_next_message(
    session: Session,
    worker_id: str,
    now: datetime,
    missed_before: datetime,
    exclude: Collection[int] = (),
    lease: timedelta = LEASE,
    handover_lead: timedelta = timedelta(0),
) -> int | None:
    """Claim the oldest due message for this worker and commit the claim. None when nothing is left to claim.
    `handover_lead`: how long before its send time an email message is due (it is handed over ahead)."""
    for _attempt in range(20):
        message_id = _select_next_due(session, _due(now, missed_before, exclude, handover_lead))
        if message_id is None:
            session.rollback()
            return None
        if claim_message(session, message_id, worker_id, now, missed_before, lease):
            session.commit()
            return message_id
        # Another worker claimed it between our read and our write; the next read no longer sees it.
        session.rollback()
    return None


def renew_lease(session: Session, message: Message, worker_id: str, now: datetime, lease: timedelta = LEASE) -> bool:
    """Extend the lease; False if another worker took the message over (this one must stop touching it).

    It is also the check that this worker still holds the message: a compare-and-set on the row, which on PostgreSQL
    keeps the row locked (and on SQLite the database) until the transaction ends. So whatever the worker writes of
    the message in the same transaction (its status, its claim's release) cannot cross another worker's claim; call
    it first in every transaction that writes the message after a provider call, which may have outlasted the lease.
    """
    result = session.execute(
        update(Message)
        .where(Message.id == message.id, Message.claimed_by == worker_id, Message.status == M.SENDING)
        .values(lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release(message: Message) -> None:
    message.claimed_by = None
    message.lease_until = None


def hand_back(session: Session, message: Message) -> str:
    """The worker is stopping between batches: leave the message sending, unclaimed, for the next worker."""
    release(message)
    session.commit()
    return "stopped"


def mark_missed_messages(session: Session, missed_before: datetime) -> list[int]:
    """Mark planned messages that fell due before `missed_before` as missed (audit-logged) and commit."""
    candidates = session.scalars(
        select(Message.id)
        .join(Campaign, Campaign.id == Message.campaign_id)
        .where(
            Campaign.status.in_(RUNNING_CAMPAIGN_STATUSES),
            Message.status == M.PLANNED,
            Message.send_at < missed_before,
        )
        .order_by(Message.send_at, Message.id)
    ).all()
    missed = []
    for message_id in candidates:
        result = session.execute(
            update(Message)
            .where(Message.id == message_id, Message.status == M.PLANNED, Message.send_at < missed_before)
            .values(status=M.MISSED, error=MISSED_NOTE)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            continue
        message = session.get(Message, message_id, populate_existing=True)
        audit.record(
            session,
            "message:missed",
            campaign=message.campaign,
            detail=f"message {message.id} ({message.channel}) was due {message.send_at.isoformat()}",
        )
        missed.append(message_id)
    session.commit()
    return missed


# ---------------------------------------------------------------------------------------------------------------------
# DIALECT-SPECIFIC SQL: the one place in Tidings that asks which database it runs on.
#
# PostgreSQL: the due-message read locks the row it returns with `FOR UPDATE SKIP LOCKED`, so workers running at once
#   each get a different message without waiting on one another's transactions; every worker may dispatch.
# SQLite: there are no row locks and only one writer at a time, so one worker holds the dispatch lease for a tick and
#   any other waits (it keeps its heartbeat) until the tick ends and the lease is handed back, or the lease runs out
#   because its holder died.
# Correctness never rests on either: the compare-and-set claim above is what makes a message one worker's.
# ---------------------------------------------------------------------------------------------------------------------


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _select_next_due(session: Session, query) -> int | None:
    if _is_postgresql(session):
        query = query.with_for_update(skip_locked=True, of=Message)
    return session.scalar(query.limit(1))


def hold_dispatch_lease(session: Session, worker_id: str, now: datetime, lease: timedelta = LEASE) -> bool:
    """True if this worker may dispatch now (take or renew the lease; commits). Always True on PostgreSQL."""
    if _is_postgresql(session):
        return True
    takeable = or_(WorkerLease.holder == worker_id, WorkerLease.holder.is_(None), WorkerLease.until < now)
    return _take_lease(session, DISPATCH_LEASE, takeable, worker_id, now + lease)


def take_turn(session: Session, job: str, worker_id: str, now: datetime, every: timedelta) -> bool:
    """True if this worker takes the turn of a periodic `job` that one worker does for all, at most once per
    `every` (commits). Whoever comes first after the last turn ran out takes the next."""
    return _take_lease(session, job, WorkerLease.until <= now, worker_id, now + every)


def _take_lease(session: Session, name: str, takeable, worker_id: str, until: datetime) -> bool:
    taken = session.execute(
        update(WorkerLease)
        .where(WorkerLease.name == name, takeable)
        .values(holder=worker_id, until=until)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount == 1:
        session.commit()
        return True
    if session.get(WorkerLease, name) is not None:
        session.rollback()
        return False
    session.add(WorkerLease(name=name, holder=worker_id, until=until))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def release_dispatch_lease(session: Session, worker_id: str) -> None:
    """Hand the dispatch lease back (end of a tick, or a stopping worker), so a waiting worker can take it."""
    session.execute(
        update(WorkerLease)
        .where(WorkerLease.name == DISPATCH_LEASE, WorkerLease.holder == worker_id)
        .values(holder=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()
