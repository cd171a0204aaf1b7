"""Hand-over: email batches given to SendGrid ahead of their send time, so a request whose answer never came can be
cancelled at SendGrid and sent again, with nobody asked.

A message due at T is claimed from T - SENDGRID_SCHEDULE_LEAD_MINUTES and each of its requests carries send_at = T
and a batch_id of its own, written in the ledger before the request leaves. SendGrid holds the batches until T, so
everyone receives the email at T however long the hand-over took. A batch whose request may or may not have been
taken is cancelled at SendGrid (confirmed by reading its status back) and queued to be sent again; only when that
cannot be done (closer to T than SendGrid's cancel margin, SendGrid refusing, or too many batches cancelled at once)
does it stay uncertain, with the reason, for a person.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service import send_ledger as ledger
from service.campaigns.withdrawal import cancel_margin
from service.channels.email.base import CancelRefused
from service.models import Message, SendBatch
from service.worker.context import WorkerContext

CANCELLED_NOTE = "Its request went unanswered; SendGrid confirmed it cancelled it, so it was sent again."


def schedule_lead(config: Mapping, hands_over: bool) -> timedelta:
    """How long before its send time an email message is handed over; zero when the channel cannot."""
    minutes = float(config.get("SENDGRID_SCHEDULE_LEAD_MINUTES") or 0)
    return timedelta(minutes=minutes) if hands_over and minutes > 0 else timedelta(0)


def handover_time(message: Message, ctx: WorkerContext) -> datetime | None:
    """The send_at a batch of `message` goes out with now, or None to send at once (due already, or no hand-over).
    Messages sent now by a person (a missed send, send now) are due already, so they keep the direct path."""
    if schedule_lead(ctx.config, ctx.email_channel.hands_over) <= timedelta(0):
        return None
    return message.send_at if message.send_at > ctx.clock() else None


def cancel_at_sendgrid(session: Session, batch: SendBatch, ctx: WorkerContext) -> str | None:
    """Cancel a handed-over batch whose outcome is unknown, at SendGrid (confirmed by reading it back). Returns None
    when done, or why it could not be (for the page). Writes nothing: SendGrid may take seconds to answer, so the
    caller holds no lock meanwhile, then checks it still holds the message and queues the batch again
    (`requeue_cancelled`). A second cancel of the same batch is refused, and the read-back still confirms it."""
    if batch.handover_id is None or batch.scheduled_for is None:
        return "It was not handed over ahead of its send time, so it cannot be cancelled."
    margin = cancel_margin(ctx.config)
    if batch.scheduled_for - ctx.clock() < margin:
        return (
            f"It is closer than {_minutes(margin)} to its send time, when SendGrid no longer cancels a batch, "
            "so it could not be cancelled and sent again."
        )
    limit = int(ctx.config.get("SENDGRID_MAX_CANCELLED_BATCHES", 10))
    if _cancelled_and_pending(session, ctx.clock()) >= limit:
        return (
            f"SendGrid already holds {limit} cancelled batches whose send time has not come, as many as it allows "
            "at once, so it could not be cancelled and sent again."
        )
    try:
        ctx.email_channel.cancel_handover(batch.handover_id)
    except CancelRefused as refused:
        return f"It could not be cancelled at SendGrid: {refused}"
    return None


def requeue_cancelled(session: Session, batch: SendBatch, ctx: WorkerContext) -> None:
    """SendGrid confirmed it cancelled the batch (`cancel_at_sendgrid`): the worker sends it again."""
    ledger.requeue_cancelled(session, batch, CANCELLED_NOTE, ctx.clock())


def _cancelled_and_pending(session: Session, now: datetime) -> int:
    """Batches this service had SendGrid cancel whose send time is still ahead (SendGrid counts them until then)."""
    return session.scalar(
        select(func.count())
        .select_from(SendBatch)
        .where(SendBatch.error == CANCELLED_NOTE, SendBatch.scheduled_for > now)
    )


def _minutes(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    return f"{seconds // 60} minutes" if seconds % 60 == 0 else f"{seconds} seconds"
