"""Pausing or cancelling a campaign whose email SendGrid already holds (handed over ahead of its send time): its
batches are cancelled at SendGrid too, so "Cancel" really stops an email that has left Tidings but not yet gone out.

A cancelled campaign's withdrawn batches are cancelled for good; a paused one's are queued to be handed over again
when the campaign is resumed (SendGrid's pause would hold them past their send time and send them late). A batch
closer to its send time than SendGrid's cancel margin, or one SendGrid will not cancel, goes out as planned, and the
person is told how many recipients that is.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service import audit, send_ledger
from service.campaigns.messages import move_message
from service.channels.email.base import CancelRefused, EmailChannel
from service.models import Campaign, Message, SendBatch, User
from service.models.statuses import BatchStatus, CampaignStatus, MessageStatus

WITHDRAWN_NOTE = {
    "cancelled": "Cancelled at SendGrid before its send time, with the campaign.",
    "paused": "Cancelled at SendGrid before its send time when the campaign was paused; handed over again on resume.",
}


@dataclass(frozen=True)
class Withdrawal:
    """What became of a campaign's batches that SendGrid held."""

    withdrawn: int = 0  # recipients whose email SendGrid discards
    going_out: int = 0  # recipients whose email SendGrid could not be stopped from sending
    reasons: tuple[str, ...] = ()

    def summary(self) -> str:
        if not self.withdrawn and not self.going_out:
            return ""
        text = f"SendGrid held this email for {self.withdrawn + self.going_out} recipient(s): "
        text += f"cancelled there for {self.withdrawn}."
        if self.going_out:
            text += f" {self.going_out} will still get it ({'; '.join(self.reasons)})."
        return text


def withdraw_handed_over(
    session: Session,
    campaign: Campaign,
    channel: EmailChannel,
    actor: User | None,
    now: datetime,
    margin: timedelta,
    message: Message | None = None,
) -> Withdrawal:
    """Cancel at SendGrid the campaign's batches it holds for a later send time; the campaign is already paused or
    cancelled (its status says which). `message`: only that message's. Commits nothing by itself."""
    query = (
        select(SendBatch, Message)
        .join(Message, Message.id == SendBatch.message_id)
        .where(
            Message.campaign_id == campaign.id,
            SendBatch.status == BatchStatus.SENT,
            SendBatch.handover_id.is_not(None),
            SendBatch.scheduled_for > now,
        )
        .order_by(SendBatch.id)
    )
    held = session.execute(query.where(Message.id == message.id) if message else query).all()
    withdrawn, going_out, reasons = 0, 0, []
    for batch, message in held:
        reason = _cancel(channel, batch, now, margin)
        if reason:
            going_out += batch.recipient_count
            reasons.append(f"batch {batch.number}: {reason}")
            continue
        _unsend(session, campaign.status, message, batch, now)
        withdrawn += batch.recipient_count
    result = Withdrawal(withdrawn, going_out, tuple(reasons))
    if held:
        audit.record(session, "batches:withdrawn", actor=actor, campaign=campaign, detail=result.summary())
    return result


def _cancel(channel: EmailChannel, batch: SendBatch, now: datetime, margin: timedelta) -> str | None:
    if batch.scheduled_for - now < margin:
        return "too close to its send time for SendGrid to cancel it"
    try:
        channel.cancel_handover(batch.handover_id)
    except CancelRefused as refused:
        return str(refused)
    return None


def _unsend(session: Session, campaign_status: str, message: Message, batch: SendBatch, now: datetime) -> None:
    status = BatchStatus.CANCELLED if campaign_status == CampaignStatus.CANCELLED else BatchStatus.RESEND
    send_ledger.withdraw_batch(session, message, batch, status, WITHDRAWN_NOTE[campaign_status], now)
    if status == BatchStatus.RESEND and message.status == MessageStatus.SENT:
        # Handed over whole, so recorded sent: the resumed campaign's worker hands these batches over again.
        move_message(message, MessageStatus.PAUSED)
        message.claimed_by, message.lease_until = None, None


def cancel_margin(config: Mapping) -> timedelta:
    """SendGrid cancels no batch later than this before its send_at (SENDGRID_CANCEL_MARGIN_SECONDS)."""
    return timedelta(seconds=float(config.get("SENDGRID_CANCEL_MARGIN_SECONDS", 600)))
