"""Sending one email message to its audience, batch by batch, exactly once or flagged.

Each batch is written as in flight (batch row + one delivery per recipient) and committed before the request; the
result is committed after. The request waits for SendGrid on a thread of its own while the next batch is written
(`_prepare`), so the database's work and SendGrid's overlap; that batch is marked awaiting its request
(`SendBatch.awaiting_request`) until the commit just before its request leaves (`_leave`, which also records the
previous batch's result). When SendGrid refuses a try (5xx, 429, unreachable), that is committed before the channel
waits to try again (`SendBatch.refused`). A worker killed in between leaves the batch in flight; whoever takes the
message over sends a batch awaiting its request or refused again by itself, and marks any other uncertain for a
person to decide (its request may have been taken), never sending it again on its own.

The audience is walked in subscriber-id order from `Message.audience_cursor`, one batch at a time, so memory does
not grow with the list and a paused, stopped or taken-over message continues where it stopped.

When a request fails:
- permanently (SendGrid refused it: a 4xx other than 429): the batch and the message fail, with SendGrid's reason;
- otherwise (no answer in time, which the channel never retries because SendGrid may have accepted the request; or
  a 5xx, 429 or unreachable SendGrid that outlasted the channel's retries): the batch is marked uncertain, a warning
  names it and why, and the rest of the audience goes on; only that batch waits until a person resends it or marks
  it delivered on the campaign page (see service/campaigns/batches.py);
- SendGrid has not taken the batch and this worker will not wait to try again (it is stopping, or the wait would
  outlast its lease): the batch is undone as if never tried and the message handed back, held until SendGrid's
  wait is over (see `_take_back`). So a stop never waits out a rate limit, and no other worker takes over a batch
  still wanted.
A batch a person asked to resend (status "resend") is sent before the next new batch, to those of its recipients
who are still in the audience.

A request (with its retries) may outlast the worker's lease, and another worker take the message over meanwhile.
So every transaction that writes the message after a request first checks that this worker still holds it
(`renew_lease`, a compare-and-set). One that lost it leaves the message's status and claim to the new owner and
records only what its request taught about its own batch (SendGrid took it, or refused it), and only while the
batch is still that request's; it tries SendGrid no more (see `_record_after_losing_claim`).
"""

import contextvars
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session, scoped_session

from service import audit
from service import send_ledger as ledger
from service.campaigns.messages import move_message
from service.campaigns.withdrawal import cancel_margin, withdraw_handed_over
from service.channels.email.base import BatchEncoder, EmailSendError, HandOver, RequestObserver, SendAbandoned
from service.compliance.setup import send_time_problem
from service.composer.placeholders import first_name_default
from service.media.urls import media_base_url
from service.models import Message, SendBatch
from service.models.statuses import BatchStatus, CampaignStatus, MessageStatus
from service.outgoing.click_links import with_counted_links
from service.outgoing.email import outgoing_email_for
from service.subscribers.audience import audience_batch
from service.worker import batch_encoding
from service.worker.batch_encoding import PendingRequest, SendRequests
from service.worker.claims import email_sends_held, hand_back, release, renew_lease
from service.worker.context import WorkerContext
from service.worker.handover import cancel_at_sendgrid, handover_time, requeue_cancelled

log = logging.getLogger(__name__)

MAX_BATCH_SIZE = 1000  # SendGrid's limit of personalizations per request
ACCEPTED_LATE_NOTE = (
    "SendGrid accepted its request after the worker that sent it had lost the message to another worker; sent."
)


def _stop_reason(session: Session, message: Message, ctx: WorkerContext, prepared: "_Prepared") -> str | None:
    """Why this worker must stop before the next request leaves (and the message's state is then recorded, the
    `prepared` batch undone as if never written), or None."""
    # First, in the transaction that may write the message: the last batch's request may have outlasted the lease.
    if not renew_lease(session, message, ctx.worker_id, ctx.clock(), ctx.lease):
        session.rollback()
        return "lost"
    if ctx.stopping.is_set() or email_sends_held(session):
        # Held: left sending and unclaimed, so it resumes at its audience cursor once an admin releases the hold.
        _undo_prepared(session, message, prepared)
        return hand_back(session, message)
    session.refresh(message.campaign, ["status"])
    if message.campaign.status in (CampaignStatus.PAUSED, CampaignStatus.CANCELLED):
        _undo_prepared(session, message, prepared)
        halted = message.campaign.status == CampaignStatus.PAUSED
        move_message(message, MessageStatus.PAUSED if halted else MessageStatus.CANCELLED)
        release(message)
        # Batches this worker handed over since the person's request cancelled the others at SendGrid.
        withdrawal = withdraw_handed_over(
            session, message.campaign, ctx.email_channel, None, ctx.clock(), cancel_margin(ctx.config), message
        )
        if withdrawal.summary():
            log.info("message %s: %s", message.id, withdrawal.summary())
        session.commit()
        return message.status
    return None


@dataclass
class _Prepared:
    """A batch written in flight ahead of its request (`SendBatch.awaiting_request`): its request, being built, and
    `cursor_before`, the audience cursor before a new batch (None for a resend)."""

    batch: SendBatch
    request: PendingRequest
    cursor_before: int | None


# What `_prepare` returns when the audience is walked and no resend is queued.
WALKED = "walked"


def _prepare(
    session: Session, message: Message, ctx: WorkerContext, batch_size: int, requests: SendRequests
) -> "_Prepared | str | None":
    """Write the next batch in flight ahead of its request and commit it: a batch a person asked to resend first,
    else the next of the audience. Runs while the previous batch's request is out (under the session's lock, which
    that request's observer shares). Returns WALKED when there is nothing more to send, None when this worker lost
    the message (nothing written)."""
    if not renew_lease(session, message, ctx.worker_id, ctx.clock(), ctx.lease):
        session.rollback()
        return None
    while (batch := ledger.next_batch_to_resend(session, message)) is not None:
        rows = ledger.start_resend(session, message, batch, ctx.clock())
        audit.record(session, "batch:resending", campaign=message.campaign, detail=_batch_detail(message, batch))
        if rows:
            session.commit()
            return _Prepared(batch, requests.start(rows, batch.id), None)
        # Nobody of it is left in the audience: nothing to ask SendGrid.
        ledger.record_request_leaving(session, batch)
        ledger.finish_batch(session, message, batch, BatchStatus.SENT, ctx.clock())
    # A message reopened only to resend a batch had already walked its whole audience.
    rows = (
        []
        if message.finished_at is not None
        else audience_batch(session, message.campaign.topics, after_id=message.audience_cursor, limit=batch_size)
    )
    if not rows:
        session.commit()
        return WALKED
    cursor_before = message.audience_cursor
    batch = ledger.open_batch(session, message, rows, ctx.clock())
    # Built in the encoding process while the database writes the deliveries.
    request = requests.start(rows, batch.id)
    ledger.write_in_flight(session, message, batch, rows, ctx.clock())
    session.commit()
    return _Prepared(batch, request, cursor_before)


def _undo_prepared(session: Session, message: Message, prepared: _Prepared | None) -> None:
    """The prepared batch's request will not leave: undo it as if never written (a resend is queued again)."""
    if prepared is not None:
        ledger.undo_batch(session, message, prepared.batch, prepared.cursor_before)


def _leave(
    session: Session, message: Message, prepared: _Prepared, handover: HandOver | None, ctx: WorkerContext
) -> str | None:
    """The commit just before the prepared batch's request leaves (with the previous batch's outcome, when there
    was one): the lease and stop checks, the batch's hand-over, and the mark that its request is leaving. Returns
    the message's status if the message stops here (the batch undone), None once the request may leave."""
    stop = _stop_reason(session, message, ctx, prepared)
    if stop:
        return stop
    if handover is None:
        prepared.batch.scheduled_for = None
    else:
        ledger.record_handover(session, prepared.batch, handover.batch_id, handover.send_at)
    ledger.record_request_leaving(session, prepared.batch)
    session.commit()
    return None


def _request(
    pending: PendingRequest, handover: HandOver | None, observer: RequestObserver, ctx: WorkerContext
) -> str | None:
    """The batch's request, on the request thread: SendGrid's message id. It reads no loaded object: one expired
    meanwhile would be loaded with the session the other thread is using; only the observer uses the session,
    under its lock."""
    channel = ctx.email_channel
    if pending.encoder is None:
        request = pending.request
        return channel.send_batch(request.batch_email(), request.recipients(), observer, handover)
    return channel.send_encoded(pending.encoded(), observer, handover)


def _record_request(
    session: Session,
    message: Message,
    sent: _Prepared,
    request: Future,
    following: "_Prepared | None",
    ctx: WorkerContext,
) -> str | None:
    """Record what the request of `sent` gave, and leave the transaction open when it went well (the following
    batch's `_leave` commits both). Returns the message's status if the message stops here, None to go on.
    `following`: the batch prepared while the request was out; undone when the message stops with this request."""
    batch = sent.batch
    try:
        provider_id = request.result()
    except SendAbandoned as abandoned:
        return _take_back(session, message, sent, following, abandoned.retry_after, ctx)
    except EmailSendError as error:
        return _record_failure(session, message, batch, following, error, ctx)
    if not renew_lease(session, message, ctx.worker_id, ctx.clock(), ctx.lease):
        return _record_after_losing_claim(session, message, batch, ctx, accepted=provider_id or "")
    ledger.finish_batch(session, message, batch, BatchStatus.SENT, ctx.clock(), provider_message_id=provider_id)
    return None


def _handover_after(
    request: Future | None, following: _Prepared | None, message: Message, ctx: WorkerContext
) -> HandOver | SendAbandoned | None:
    """Once the request out (if any) is back, as the channel makes one request at a time and in order: the following
    batch's hand-over (its send time, and a batch_id of its own for its request), None to send it at once (or when
    there is none), or why SendGrid gave no batch_id (the batch is then undone and the send resumes at a later try).
    Asked for before the commit that lets the batch's request leave, so the batch_id goes into it (a batch in flight
    with a send time but no batch_id was therefore never sent) and no row stays locked while SendGrid answers."""
    if request is not None:
        wait([request])
    send_at = handover_time(message, ctx) if following is not None else None
    if send_at is None:
        return None
    try:
        return HandOver(ctx.email_channel.new_handover_id(), send_at)
    except SendAbandoned as abandoned:
        return abandoned


class _LedgerObserver(RequestObserver):
    """Commits what the channel learns between tries, before it waits: a worker killed in the wait then leaves a
    batch known to be refused, which the next worker sends again without asking anyone.

    A worker whose message was taken over during the wait (its tries outlasted the lease) tries no more: the new
    owner sends the refused batch again itself, and a second try here could deliver it twice."""

    def __init__(
        self, session: Session, session_lock: threading.Lock, message: Message, batch: SendBatch, ctx: WorkerContext
    ):
        self.session, self.session_lock, self.message, self.batch, self.ctx = session, session_lock, message, batch, ctx

    def refused(self, reason: str) -> None:
        with self.session_lock:
            if _batch_as_left(self.session, self.batch) == BatchStatus.IN_FLIGHT:
                ledger.record_refusal(self.session, self.batch)
            self.session.commit()

    def retrying(self) -> None:
        ctx = self.ctx
        with self.session_lock:
            if not renew_lease(self.session, self.message, ctx.worker_id, ctx.clock(), ctx.lease):
                self.session.rollback()
                raise SendAbandoned("Another worker took the message over during the wait; this one tries no more.")
            ledger.record_request_leaving(self.session, self.batch)
            self.session.commit()


def _take_back(
    session: Session,
    message: Message,
    sent: _Prepared,
    following: _Prepared | None,
    retry_after: float | None,
    ctx: WorkerContext,
) -> str:
    """SendGrid did not take the batch and this worker gives up on it for now: undo it as if never tried, and hand
    the message back.

    A new batch is removed and the audience cursor goes back, so the next worker walks those recipients again (as
    they are then: someone who unsubscribed meanwhile is left out). A batch being resent is queued again. When
    SendGrid asked for a wait, the message stays unclaimed but held until the wait is over (a sending message is
    taken once its lease has run out, see claims), so no worker asks SendGrid again at every poll meanwhile. The
    batch prepared after it is undone first (the cursor then goes back to before both)."""
    batch = sent.batch
    if not renew_lease(session, message, ctx.worker_id, ctx.clock(), ctx.lease):
        return _record_after_losing_claim(session, message, batch, ctx, refusal="SendGrid did not take it")
    _undo_prepared(session, message, following)
    _undo_prepared(session, message, sent)
    log.info("message %s: batch %s was not sent; it goes out at a later poll", message.id, batch.number)
    return _released_for_later(session, message, retry_after, ctx)


def _give_back(
    session: Session, message: Message, prepared: _Prepared, retry_after: float | None, ctx: WorkerContext
) -> str:
    """SendGrid gave no batch_id for the prepared batch: undo it, and hand the message back for a later poll."""
    if not renew_lease(session, message, ctx.worker_id, ctx.clock(), ctx.lease):
        session.rollback()
        return "lost"
    _undo_prepared(session, message, prepared)
    log.info("message %s: SendGrid gave no batch_id for its next batch; it goes out at a later poll", message.id)
    return _released_for_later(session, message, retry_after, ctx)


def _released_for_later(session: Session, message: Message, retry_after: float | None, ctx: WorkerContext) -> str:
    # Unclaimed, but held until SendGrid's wait (if it asked for one) is over: see _take_back.
    release(message)
    if retry_after:
        message.lease_until = ctx.clock() + timedelta(seconds=retry_after)
    session.commit()
    return "stopped"


def _record_failure(
    session: Session,
    message: Message,
    batch: SendBatch,
    following: _Prepared | None,
    error: EmailSendError,
    ctx: WorkerContext,
) -> str | None:
    if not renew_lease(session, message, ctx.worker_id, ctx.clock(), ctx.lease):
        # SendGrid refused it (a 4xx, or every try a 5xx or 429): not sent. Otherwise nobody knows, not even this
        # worker, so the new owner settles it as a batch its worker left (or already has).
        refusal = str(error) if error.permanent or error.refused else None
        return _record_after_losing_claim(session, message, batch, ctx, refusal=refusal)
    if error.permanent:
        _undo_prepared(session, message, following)
        ledger.finish_batch(session, message, batch, BatchStatus.FAILED, ctx.clock(), error=str(error))
        move_message(message, MessageStatus.FAILED)
        message.error = str(error)
        release(message)
        audit.record(session, "message:failed", campaign=message.campaign, detail=f"message {message.id}: {error}")
        session.commit()
        return "failed"
    if not error.refused and batch.handover_id is not None:
        session.commit()  # no row stays locked while SendGrid answers; the batch stays in flight meanwhile
        why_not = cancel_at_sendgrid(session, batch, ctx)
        if not renew_lease(session, message, ctx.worker_id, ctx.clock(), ctx.lease):
            # The new owner cancels it again (SendGrid confirms the first cancel) and sends it.
            return _record_after_losing_claim(session, message, batch, ctx)
        if why_not is None:
            requeue_cancelled(session, batch, ctx)
            session.commit()
            log.info(
                "message %s: batch %s went unanswered; cancelled at SendGrid, sent again", message.id, batch.number
            )
            return None
        error = EmailSendError(f"{error} {why_not}", permanent=False)
    ledger.finish_batch(
        session, message, batch, BatchStatus.UNCERTAIN, ctx.clock(), error=str(error), refused=error.refused
    )
    audit.record(
        session,
        "batches:uncertain",
        campaign=message.campaign,
        detail=f"message {message.id}: batch {batch.number} waits for a person: {error}",
    )
    session.commit()
    # Only this batch waits for a person; the rest of the audience goes on.
    log.warning(
        "message %s: batch %s (%s recipients) waits for a person: %s",
        message.id,
        batch.number,
        batch.recipient_count,
        error,
    )
    return None


def _record_after_losing_claim(
    session: Session,
    message: Message,
    batch: SendBatch,
    ctx: WorkerContext,
    *,
    accepted: str | None = None,
    refusal: str | None = None,
) -> str:
    """Another worker took the message over while this one's request was out (it outlasted the lease). The
    message's status and claim are the new owner's; this worker records only what its request taught about its own
    batch, for the new owner and for a person, and only while the batch is still that request's (see
    `_batch_as_left`). `accepted`: SendGrid took it (its message id, maybe empty); `refusal`: SendGrid answered
    without taking it. Neither: nobody knows whether it went out, which the new owner settles by its own rules."""
    status = _batch_as_left(session, batch)
    if status is None:
        recorded = "the batch is another request's by now, so nothing was recorded"
    elif accepted is not None and status == BatchStatus.IN_FLIGHT:
        ledger.finish_batch(session, message, batch, BatchStatus.SENT, ctx.clock(), provider_message_id=accepted)
        recorded = "SendGrid accepted it: recorded sent"
    elif accepted is not None and status == BatchStatus.UNCERTAIN:
        # The new owner found it in flight and could not know; now it is known.
        ledger.mark_delivered(session, message, batch, ACCEPTED_LATE_NOTE, ctx.clock())
        batch.provider_message_id = accepted
        recorded = "SendGrid accepted it: the uncertain batch was recorded sent"
    elif refusal is not None and status in (BatchStatus.IN_FLIGHT, BatchStatus.UNCERTAIN):
        # Known not sent: the new owner sends a refused batch left in flight again by itself, and a person resending
        # an uncertain one is told nobody gets it twice.
        ledger.record_refusal(session, batch)
        if status == BatchStatus.UNCERTAIN:
            batch.error = f"{batch.error or ''} {refusal}".strip()
        recorded = f"SendGrid refused it ({refusal}): recorded not sent"
    else:
        recorded = f"nothing more is known of it, so it stays {status}"
    session.commit()
    log.warning(
        "message %s: another worker took it over while batch %s's request was out; %s; the message is left to it",
        message.id,
        batch.number,
        recorded,
    )
    return "lost"


def _batch_as_left(session: Session, batch: SendBatch) -> str | None:
    """The batch's status read again under a row lock, if it is still the request this worker made (same start,
    same batch_id at SendGrid); None once it was sent again since."""
    request = (batch.started_at, batch.handover_id)
    session.refresh(batch, with_for_update=True)
    return batch.status if (batch.started_at, batch.handover_id) == request else None


def send_email_message(session: Session, message: Message, ctx: WorkerContext) -> str:
    """Send the message's remaining batches. Returns the message's status when this worker stops working on it."""
    problem = send_time_problem(ctx.config)
    if problem:
        return _refuse(session, message, problem)
    requeued, unknown = ledger.settle_abandoned_batches(session, message)
    _record_requeued(session, message, requeued, "known not to have gone out")
    # Settled (uncertain) before SendGrid is asked to cancel the handed over: no row stays locked while it answers.
    session.commit()
    cancelled = [cancel_at_sendgrid(session, batch, ctx) if batch.handover_id else "" for batch in unknown]
    if unknown and not renew_lease(session, message, ctx.worker_id, ctx.clock(), ctx.lease):
        session.rollback()
        return "lost"
    abandoned, sent_again = [], []
    for batch, why_not in zip(unknown, cancelled, strict=True):
        if why_not is None:
            requeue_cancelled(session, batch, ctx)
            sent_again.append(batch)
        else:
            batch.error = f"{batch.error} {why_not}".strip()
            abandoned.append(batch)
    _record_requeued(session, message, sent_again, "cancelled at SendGrid")
    if abandoned:
        reasons = "; ".join(f"batch {batch.number}: {batch.error}" for batch in abandoned)
        detail = f"message {message.id}: batch(es) {_numbers(abandoned)} wait for a person ({reasons})"
        audit.record(session, "batches:uncertain", campaign=message.campaign, detail=detail)
        log.warning("%s", detail)
    session.commit()
    # The session itself, not a thread's: the request thread's observer records refusals with it.
    session = session() if isinstance(session, scoped_session) else session
    with _loaded_objects_kept(session):
        return _send_remaining(session, message, ctx)


def _record_requeued(session: Session, message: Message, requeued: list[SendBatch], why: str) -> None:
    """The audit line for batches queued to be sent again, in the transaction that queues them."""
    if requeued:
        detail = f"message {message.id}: batch(es) {_numbers(requeued)} {why}, sent again"
        audit.record(session, "batches:requeued", campaign=message.campaign, detail=detail)
        log.info("%s", detail)


def _send_remaining(session: Session, message: Message, ctx: WorkerContext) -> str:
    email = outgoing_email_for(
        message.campaign, message.issue, ctx.clinic, message.id, media_base=media_base_url(ctx.config)
    )
    if ctx.config.get("CLICK_COUNTING_ENABLED"):
        # The same links (and tokens) for every batch, a resumed send included: they are found again by URL.
        email = with_counted_links(session, email, message.id, ctx.config["SECRET_KEY"], ctx.clinic.public_base_url)
        session.commit()
    batch_size = max(1, min(int(ctx.config["EMAIL_BATCH_SIZE"]), MAX_BATCH_SIZE))
    session.commit()  # no transaction stays open while the encoding process starts
    requests = SendRequests(
        _encoder_for(message, ctx),
        email,
        message.id,
        first_name_default(message.issue.subject or message.campaign.email_subject),
        ctx.clinic,
        ctx.config["SECRET_KEY"],
    )
    # The request's observer records refusals with this session from the request's thread; the lock keeps it out of
    # the transaction that prepares the next batch meanwhile.
    session_lock = threading.Lock()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"message-{message.id}-request") as request_thread:
        out: tuple[_Prepared, Future] | None = None  # the batch whose request is out, and that request
        prepared = _prepare(session, message, ctx, batch_size, requests)
        while True:
            following = prepared if isinstance(prepared, _Prepared) else None
            handover = _handover_after(out[1] if out else None, following, message, ctx)
            if out is not None:
                stop = _record_request(session, message, *out, following, ctx)
                if stop:
                    return stop
            if following is None or isinstance(handover, SendAbandoned):
                session.commit()  # the previous batch's outcome, alone
            if prepared is None:
                return "lost"
            if prepared == WALKED:
                finished = _finish_unless_a_resend_came(session, message, ctx)
                if finished:
                    return finished
                out, prepared = None, _prepare(session, message, ctx, batch_size, requests)
                continue
            if isinstance(handover, SendAbandoned):
                return _give_back(session, message, following, handover.retry_after, ctx)
            stop = _leave(session, message, following, handover, ctx)
            if stop:
                return stop
            observer = _LedgerObserver(session, session_lock, message, following.batch, ctx)
            # In this thread's context: whatever the session needs from it (its engine) holds there too.
            arguments = (following.request, handover, observer, ctx)
            request = request_thread.submit(contextvars.copy_context().run, _request, *arguments)
            out = (following, request)
            with session_lock:
                prepared = _prepare(session, message, ctx, batch_size, requests)


def _encoder_for(message: Message, ctx: WorkerContext) -> BatchEncoder | None:
    """What builds the message's requests in the encoding process, started if need be (before any batch is written);
    None to build them on the request thread: the channel cannot, or the send is too small to repay the process."""
    encoder = ctx.email_channel.batch_encoder()
    if encoder is None or (message.total_count or 0) < int(ctx.config["EMAIL_ENCODING_PROCESS_FROM"]):
        return None
    batch_encoding.start(encoder)
    return encoder


def _finish_unless_a_resend_came(session: Session, message: Message, ctx: WorkerContext) -> str | None:
    """Record the message sent ("sent"); None (the message stays this worker's) if a person queued a resend
    meanwhile; "lost" if another worker took the message over.

    A person may press Resend between this worker's last look for queued batches and its commit. Both sides take
    the campaign's row lock before deciding (see service/campaigns/batches.py), and this side writes the message
    before it looks again (SQLite's one writer), so one of the two always sees the other: either the person's
    request finds the message sent and reopens it, or this worker finds the queued batch and sends it.
    """
    session.commit()
    session.refresh(message.campaign, ["status"], with_for_update=True)
    if not renew_lease(session, message, ctx.worker_id, ctx.clock(), ctx.lease):
        session.rollback()
        return "lost"
    move_message(message, MessageStatus.SENT)
    message.finished_at, message.error = ctx.clock(), None
    release(message)
    session.flush()
    if ledger.next_batch_to_resend(session, message) is None:
        session.commit()
        return "sent"
    move_message(message, MessageStatus.SENDING)
    message.claimed_by, message.lease_until = ctx.worker_id, ctx.clock() + ctx.lease
    session.commit()
    log.info("message %s: a resend was queued as it finished; sending it", message.id)
    return None


def _numbers(batches: list[SendBatch]) -> str:
    return ", ".join(str(batch.number) for batch in batches)


def _refuse(session: Session, message: Message, problem: str) -> str:
    """Fail the message before anything is sent (settings that must not reach readers, changed since approval)."""
    move_message(message, MessageStatus.FAILED)
    message.error = problem
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
