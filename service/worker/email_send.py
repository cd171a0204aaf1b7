"""Sending one email message to its audience, batch by batch, exactly once or flagged.

Each batch is written as in flight (batch row + one delivery per recipient) and committed before the request; the
result is committed after. When SendGrid refuses a try (5xx, 429, unreachable), that is committed before the channel
waits to try again (`SendBatch.refused`). A worker killed in between leaves the batch in flight; whoever takes the
message over sends a refused batch again by itself, and marks any other uncertain for a person to decide (its
request may have been taken), never sending it again on its own.

The audience is walked in subscriber-id order from `Message.audience_cursor`, one batch at a time, so memory does
not grow with the list and a paused, stopped or taken-over message continues where it stopped.

When a request fails:
- permanently (SendGrid refused it: a 4xx other than 429): the batch and the message fail, with SendGrid's reason;
- otherwise (no answer in time, which the channel never retries because SendGrid may have accepted the request; or
  a 5xx, 429 or unreachable SendGrid that outlasted the channel's retries): the batch is marked uncertain and the
  message stops (status "uncertain") until a person resends the batch or marks it delivered on the campaign page;
  then the rest of the audience goes out (see service/campaigns/batches.py);
- SendGrid has not taken the batch and this worker will not wait to try again (it is stopping, or the wait would
  outlast its lease): the batch is undone as if never tried and the message handed back, held until SendGrid's
  wait is over (see `_take_back`). So a stop never waits out a rate limit, and no other worker takes over a batch
  still wanted.
A batch a person asked to resend (status "resend") is sent before the next new batch, to those of its recipients
who are still in the audience.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy.orm import Session, scoped_session

from service import audit
from service import send_ledger as ledger
from service.channels.email.base import EmailSendError, OutgoingEmail, RequestObserver, SendAbandoned
from service.compliance.setup import send_time_problem
from service.models import Message, SendBatch
from service.outgoing.email import outgoing_email_for, recipients_for, with_batch_id
from service.subscribers.audience import audience_batch
from service.worker.claims import hand_back, release, renew_lease
from service.worker.context import WorkerContext

log = logging.getLogger(__name__)

MAX_BATCH_SIZE = 1000  # SendGrid's limit of personalizations per request


def _stop_reason(session: Session, message: Message, ctx: WorkerContext) -> str | None:
    """Why this worker must stop before the next batch (and the message's state is then recorded), or None."""
    if ctx.stopping.is_set():
        return hand_back(session, message)
    session.refresh(message.campaign, ["status"])
    if message.campaign.status in ("paused", "cancelled"):
        message.status = "paused" if message.campaign.status == "paused" else "cancelled"
        release(message)
        session.commit()
        return message.status
    if not renew_lease(session, message, ctx.worker_id, ctx.clock(), ctx.lease):
        session.rollback()
        return "lost"
    return None


def _send_batch(
    session: Session,
    message: Message,
    batch: SendBatch,
    rows: list,
    email: OutgoingEmail,
    ctx: WorkerContext,
    cursor_before: int | None,
) -> str | None:
    """Send a batch that was committed in flight and record the result. Returns the message's status if the
    message stops here, None to go on. `cursor_before`: the audience cursor before a new batch (None: a resend)."""
    if not rows:
        ledger.finish_batch(session, message, batch, "sent", ctx.clock())
        session.commit()
        return None
    try:
        recipients = recipients_for(rows, ctx.clinic, ctx.config["SECRET_KEY"])
        provider_id = ctx.email_channel.send_batch(
            with_batch_id(email, batch.id), recipients, _LedgerObserver(session, batch)
        )
    except SendAbandoned as abandoned:
        return _take_back(session, message, batch, cursor_before, abandoned.retry_after, ctx)
    except EmailSendError as error:
        return _record_failure(session, message, batch, error, ctx)
    ledger.finish_batch(session, message, batch, "sent", ctx.clock(), provider_message_id=provider_id)
    session.commit()
    return None


class _LedgerObserver(RequestObserver):
    """Commits what the channel learns between tries, before it waits: a worker killed in the wait then leaves a
    batch known to be refused, which the next worker sends again without asking anyone."""

    def __init__(self, session: Session, batch: SendBatch):
        self.session, self.batch = session, batch

    def refused(self, reason: str) -> None:
        ledger.record_refusal(self.session, self.batch)
        self.session.commit()

    def retrying(self) -> None:
        ledger.record_request_leaving(self.session, self.batch)
        self.session.commit()


def _take_back(
    session: Session,
    message: Message,
    batch: SendBatch,
    cursor_before: int | None,
    retry_after: float | None,
    ctx: WorkerContext,
) -> str:
    """SendGrid did not take the batch and this worker gives up on it for now: undo it as if never tried, and hand
    the message back.

    A new batch is removed and the audience cursor goes back, so the next worker walks those recipients again (as
    they are then: someone who unsubscribed meanwhile is left out). A batch being resent is queued again. When
    SendGrid asked for a wait, the message stays unclaimed but held until the wait is over (a sending message is
    taken once its lease has run out, see claims), so no worker asks SendGrid again at every poll meanwhile."""
    ledger.undo_batch(session, message, batch, cursor_before)
    release(message)
    if retry_after:
        message.lease_until = ctx.clock() + timedelta(seconds=retry_after)
    log.info("message %s: batch %s was not sent; it goes out at a later poll", message.id, batch.number)
    session.commit()
    return "stopped"


def _record_failure(
    session: Session, message: Message, batch: SendBatch, error: EmailSendError, ctx: WorkerContext
) -> str:
    if error.permanent:
        ledger.finish_batch(session, message, batch, "failed", ctx.clock(), error=str(error))
        message.status, message.error = "failed", str(error)
        release(message)
        audit.record(session, "message:failed", campaign=message.campaign, detail=f"message {message.id}: {error}")
        session.commit()
        return "failed"
    ledger.finish_batch(session, message, batch, "uncertain", ctx.clock(), error=str(error), refused=error.refused)
    message.status = "uncertain"
    message.error = (
        f"Stopped at batch {batch.number}: {error} Resend that batch or mark it delivered on the campaign page; "
        "the rest of the audience goes out after that."
    )
    release(message)
    audit.record(
        session,
        "batches:uncertain",
        campaign=message.campaign,
        detail=f"message {message.id}: batch {batch.number} stopped the send: {error}",
    )
    session.commit()
    return "uncertain"


def send_email_message(session: Session, message: Message, ctx: WorkerContext) -> str:
    """Send the message's remaining batches. Returns the message's status when this worker stops working on it."""
    problem = send_time_problem(ctx.config)
    if problem:
        return _refuse(session, message, problem)
    requeued, abandoned = ledger.settle_abandoned_batches(session, message)
    if requeued:
        audit.record(
            session,
            "batches:requeued",
            campaign=message.campaign,
            detail=f"message {message.id}: {requeued} batch(es) SendGrid had refused, sent again",
        )
    if abandoned:
        audit.record(
            session,
            "batches:uncertain",
            campaign=message.campaign,
            detail=f"message {message.id}: {abandoned} batch(es)",
        )
    session.commit()
    with _loaded_objects_kept(session):
        return _send_remaining(session, message, ctx)


def _send_remaining(session: Session, message: Message, ctx: WorkerContext) -> str:
    email = outgoing_email_for(message.campaign, message.snippet, ctx.clinic, message.id)
    batch_size = max(1, min(int(ctx.config["EMAIL_BATCH_SIZE"]), MAX_BATCH_SIZE))
    while True:
        stop = _stop_reason(session, message, ctx)
        if stop:
            return stop
        batch, cursor_before = ledger.next_batch_to_resend(session, message), None
        if batch is not None:
            rows = ledger.start_resend(session, message, batch, ctx.clock())
            audit.record(session, "batch:resending", campaign=message.campaign, detail=_batch_detail(message, batch))
        else:
            # A message reopened only to resend a batch had already walked its whole audience.
            rows = (
                []
                if message.finished_at is not None
                else audience_batch(
                    session, message.campaign.topics, after_id=message.audience_cursor, limit=batch_size
                )
            )
            if not rows:
                message.status, message.finished_at, message.error = "sent", ctx.clock(), None
                release(message)
                session.commit()
                return "sent"
            cursor_before = message.audience_cursor
            batch = ledger.start_batch(session, message, rows, ctx.clock())
        session.commit()
        outcome = _send_batch(session, message, batch, rows, email, ctx, cursor_before)
        if outcome:
            return outcome


def _refuse(session: Session, message: Message, problem: str) -> str:
    """Fail the message before anything is sent (settings that must not reach readers, changed since approval)."""
    message.status, message.error = "failed", problem
    release(message)
    audit.record(session, "message:failed", campaign=message.campaign, detail=f"message {message.id}: {problem}")
    session.commit()
    return "failed"


@contextmanager
def _loaded_objects_kept(session: Session) -> Iterator[None]:
    """Commit without expiring loaded objects while this worker sends.

    A send commits twice a batch; after each commit every loaded object (message, campaign, batch) would be read
    again, a dozen round trips a batch. The message and its batches are this worker's while it holds the lease; what
    others may change is read fresh (the campaign's status) or changed in SQL (the sent count). Everything is
    expired again at the end, so the caller reads the database's values.
    """
    target = session() if isinstance(session, scoped_session) else session
    expire_on_commit = target.expire_on_commit
    target.expire_on_commit = False
    try:
        yield
    finally:
        target.expire_on_commit = expire_on_commit
        target.expire_all()


def _batch_detail(message: Message, batch: SendBatch) -> str:
    return f"message {message.id}: batch {batch.number} ({batch.recipient_count} recipients)"
