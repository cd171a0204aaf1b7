"""Sending one email message to its audience, batch by batch, exactly once or flagged.

Each batch is written as in flight (batch row + one delivery per recipient) and committed before the request; the
result is committed after. A worker killed in between leaves the batch in flight; whoever takes the message over
marks it uncertain for a person to decide, and never sends it again by itself.
"""

from datetime import datetime

from markupsafe import escape
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from service.campaigns import audit
from service.channels.email.base import EmailSendError, OutgoingEmail, Recipient
from service.models import Campaign, Delivery, Message, SendBatch, Snippet
from service.rendering.email import GREETING_HTML, GREETING_TEXT, UNSUBSCRIBE_URL, greeting_for, render_email
from service.subscribers.audience import audience_batch
from service.worker.claims import release, renew_lease
from service.worker.context import WorkerContext
from service.worker.links import article_link, unsubscribe_url


def outgoing_email_for(
    campaign: Campaign, snippet: Snippet, ctx: WorkerContext, message_id: int | None = None
) -> OutgoingEmail:
    """The email as it goes out; previews call it too (without a message id), so they show exactly this."""
    rendered = render_email(
        subject=campaign.email_subject,
        heading=snippet.heading,
        body=snippet.body,
        clinic=ctx.clinic,
        read_more_url=article_link(campaign, ctx.clinic),
    )
    return OutgoingEmail(
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        headers={
            "List-Unsubscribe": f"<{UNSUBSCRIBE_URL}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        categories=("newsletter", campaign.slug[:255]),
        custom_args={"message_id": str(message_id)} if message_id else {},
    )


def recipient_for(row, ctx: WorkerContext) -> Recipient:
    greeting = greeting_for(row.first_name or "")
    return Recipient(
        email=row.email,
        substitutions={
            UNSUBSCRIBE_URL: unsubscribe_url(ctx.clinic, ctx.config["SECRET_KEY"], row.id),
            GREETING_TEXT: greeting,
            GREETING_HTML: str(escape(greeting)),
        },
    )


def mark_abandoned_batches_uncertain(session: Session, message: Message) -> int:
    """Batches left in flight by a dead worker: their outcome is unknown, so a person decides."""
    batch_ids = list(
        session.scalars(select(SendBatch.id).where(SendBatch.message_id == message.id, SendBatch.status == "in_flight"))
    )
    if not batch_ids:
        return 0
    session.execute(update(SendBatch).where(SendBatch.id.in_(batch_ids)).values(status="uncertain"))
    session.execute(update(Delivery).where(Delivery.batch_id.in_(batch_ids)).values(status="uncertain"))
    audit.record(
        session,
        "batches:uncertain",
        campaign=message.campaign,
        detail=f"message {message.id}: {len(batch_ids)} batch(es)",
    )
    return len(batch_ids)


def _start_batch(session: Session, message: Message, rows: list, now: datetime) -> SendBatch:
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
        message_id=message.id, number=number, status="in_flight", recipient_count=len(rows), started_at=now
    )
    session.add(batch)
    session.flush()
    session.execute(
        insert(Delivery),
        [
            {
                "message_id": message.id,
                "batch_id": batch.id,
                "subscriber_id": row.id,
                "channel": "email",
                "status": "in_flight",
                "created_at": now,
                "updated_at": now,
            }
            for row in rows
        ],
    )
    message.audience_cursor = rows[-1].id
    return batch


def _finish_batch(session: Session, message: Message, batch: SendBatch, status: str, now: datetime, **values) -> None:
    batch.status = status
    batch.finished_at = now
    for name, value in values.items():
        setattr(batch, name, value)
    delivery_status = "sent" if status == "sent" else "failed"
    session.execute(
        update(Delivery).where(Delivery.batch_id == batch.id).values(status=delivery_status, updated_at=now)
    )
    if status == "sent":
        message.sent_count += batch.recipient_count


def send_email_message(session: Session, message: Message, ctx: WorkerContext) -> str:
    """Send the message's remaining batches. Returns the message's status when this worker stops working on it."""
    mark_abandoned_batches_uncertain(session, message)
    email = outgoing_email_for(message.campaign, message.snippet, ctx, message.id)
    batch_size = min(int(ctx.config["EMAIL_BATCH_SIZE"]), 1000)
    while True:
        session.refresh(message.campaign, ["status"])
        if message.campaign.status in ("paused", "cancelled"):
            message.status = "paused" if message.campaign.status == "paused" else "cancelled"
            release(message)
            session.commit()
            return message.status
        rows = audience_batch(session, message.campaign.topics, after_id=message.audience_cursor, limit=batch_size)
        if not rows:
            message.status, message.finished_at = "sent", ctx.clock()
            release(message)
            session.commit()
            return "sent"
        if not renew_lease(session, message, ctx.worker_id, ctx.clock()):
            session.rollback()
            return "lost"
        batch = _start_batch(session, message, rows, ctx.clock())
        session.commit()
        try:
            provider_id = ctx.email_channel.send_batch(
                _with_batch_id(email, batch), [recipient_for(row, ctx) for row in rows]
            )
        except EmailSendError as error:
            _finish_batch(session, message, batch, "failed", ctx.clock(), error=str(error))
            message.status, message.error = "failed", str(error)
            release(message)
            audit.record(session, "message:failed", campaign=message.campaign, detail=f"message {message.id}: {error}")
            session.commit()
            return "failed"
        _finish_batch(session, message, batch, "sent", ctx.clock(), provider_message_id=provider_id)
        session.commit()


def _with_batch_id(email: OutgoingEmail, batch: SendBatch) -> OutgoingEmail:
    return OutgoingEmail(
        subject=email.subject,
        html=email.html,
        text=email.text,
        headers=email.headers,
        categories=email.categories,
        custom_args={**email.custom_args, "batch_id": str(batch.id)},
    )
