"""What a person decides about an uncertain email batch: resend it, or mark it delivered. Both are audit-logged.

A batch is uncertain when its request may or may not have reached SendGrid (the worker died during it, or SendGrid
did not answer). The worker never sends it again by itself. Here a person either
- asks for a resend: the worker sends it at its next poll, to those of its recipients still in the audience; or
- marks it delivered (for example after checking SendGrid's activity feed, or seeing its delivery events): its
  recipients count as sent and nothing more goes to them.
A message that stopped at an uncertain batch goes on with the rest of its audience once none of its batches is
uncertain any more.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service import audit, send_ledger
from service.campaigns import lifecycle
from service.campaigns.messages import move_message
from service.campaigns.recovery import OPEN_CAMPAIGN_STATUSES
from service.models import Campaign, Delivery, EmailEvent, Message, SendBatch, User
from service.models.statuses import BatchStatus, CampaignStatus, DeliveryStatus, MessageStatus

B, M = BatchStatus, MessageStatus
# Message statuses in which a resent batch can still go out (the worker takes the message again).
RESENDABLE_MESSAGE_STATUSES = (M.SENDING, M.SENT, M.PAUSED, M.UNCERTAIN)
# Events that show SendGrid accepted the email for a recipient.
ACCEPTED_EVENTS = ("processed", "delivered", "deferred", "bounce", "dropped", "open", "click")


DELIVERED_BY_EVENTS_NOTE = "SendGrid's events show every recipient got it: recorded delivered."


class BatchDecisionError(ValueError):
    """The decision cannot be carried out; the message says why, for a person."""


@dataclass(frozen=True)
class BatchToDecide:
    """An uncertain batch (or one queued for resending), as the campaign page lists it: what is known of it, what
    each decision costs, and which one the evidence supports (`safe_choice`: "resend", "mark-delivered" or None)."""

    batch: SendBatch
    message: Message
    # Recipients of the batch for whom SendGrid reported an event: evidence that the batch did go out.
    with_events: int

    @property
    def queued(self) -> bool:
        return self.batch.status == B.RESEND

    @property
    def known(self) -> str:
        if self.batch.refused:
            return "SendGrid refused it: it did not go out."
        if self.with_events:
            return (
                f"SendGrid's events show {self.with_events} of its {self.batch.recipient_count} recipients got it: "
                "it went out."
            )
        return "Its request went to SendGrid and no answer came: it may or may not have gone out."

    @property
    def resend_cost(self) -> str:
        if self.batch.refused:
            return "Resend: nobody gets it twice."
        return f"Resend: up to {self.batch.recipient_count} people may get it twice."

    @property
    def mark_delivered_cost(self) -> str:
        if self.with_events:
            missing = self.batch.recipient_count - self.with_events
            return f"Mark delivered: up to {missing} people may never get it."
        return f"Mark delivered: up to {self.batch.recipient_count} people may never get it."

    @property
    def safe_choice(self) -> str | None:
        if self.batch.refused:
            return "resend"
        if self.with_events:
            return "mark-delivered"
        return None


def batches_to_decide(session: Session, campaign: Campaign) -> list[BatchToDecide]:
    rows = session.execute(
        select(SendBatch, Message)
        .join(Message, Message.id == SendBatch.message_id)
        .where(Message.campaign_id == campaign.id, SendBatch.status.in_((B.UNCERTAIN, B.RESEND)))
        .order_by(Message.send_at, SendBatch.number)
    ).all()
    return [BatchToDecide(batch, message, _recipients_with_events(session, batch)) for batch, message in rows]


def resolve_delivered_batches(session: Session, now: datetime) -> int:
    """Uncertain batches whose every recipient has a SendGrid event went out: they are recorded delivered, with no
    one asked. Returns how many; commits nothing by itself."""
    resolved = 0
    for batch in session.scalars(select(SendBatch).where(SendBatch.status == B.UNCERTAIN)).all():
        waiting = session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.batch_id == batch.id, Delivery.status == DeliveryStatus.UNCERTAIN)
        )
        if not waiting or _recipients_with_events(session, batch) < waiting:
            continue
        message = session.get(Message, batch.message_id)
        send_ledger.mark_delivered(session, message, batch, DELIVERED_BY_EVENTS_NOTE, now)
        audit.record(session, "batch:delivered-by-events", campaign=message.campaign, detail=_detail(message, batch))
        resolved += 1
    return resolved


def campaigns_awaiting_a_person(session: Session) -> set[int]:
    """Ids of campaigns with something only a person can settle: a missed, uncertain or failed message, or an
    uncertain email batch (a message can be sent to everyone else while one of its batches is still in doubt)."""
    by_message = select(Message.campaign_id).where(Message.status.in_((M.MISSED, M.UNCERTAIN, M.FAILED)))
    by_batch = (
        select(Message.campaign_id)
        .join(SendBatch, SendBatch.message_id == Message.id)
        .where(SendBatch.status == B.UNCERTAIN)
    )
    return set(session.scalars(by_message.union(by_batch)))


def failed_batches(session: Session, campaign: Campaign) -> list[tuple[SendBatch, Message]]:
    """Batches SendGrid refused, with its reason (SendBatch.error)."""
    return [
        (batch, message)
        for batch, message in session.execute(
            select(SendBatch, Message)
            .join(Message, Message.id == SendBatch.message_id)
            .where(Message.campaign_id == campaign.id, SendBatch.status == B.FAILED)
            .order_by(Message.send_at, SendBatch.number)
        ).all()
    ]


def _recipients_with_events(session: Session, batch: SendBatch) -> int:
    return (
        session.scalar(
            select(func.count(func.distinct(EmailEvent.delivery_id)))
            .join(Delivery, Delivery.id == EmailEvent.delivery_id)
            .where(Delivery.batch_id == batch.id, EmailEvent.event.in_(ACCEPTED_EVENTS))
        )
        or 0
    )


def _uncertain_batch(session: Session, campaign: Campaign, batch_id: int) -> SendBatch:
    batch = session.get(SendBatch, batch_id)
    if batch is None or session.get(Message, batch.message_id).campaign_id != campaign.id:
        raise BatchDecisionError("There is no such batch in this campaign.")
    if batch.status != B.UNCERTAIN:
        raise BatchDecisionError(
            f"This batch is {_status_words(batch.status)}, not uncertain; there is nothing to decide."
        )
    return batch


def _status_words(status: str) -> str:
    return {B.RESEND: "already queued for resending", B.IN_FLIGHT: "being sent"}.get(status, status)


def request_resend(session: Session, campaign: Campaign, batch_id: int, actor: User, now: datetime) -> SendBatch:
    """Queue an uncertain batch for the worker to send again. Raises BatchDecisionError when it cannot go out."""
    batch = _uncertain_batch(session, campaign, batch_id)
    message = session.get(Message, batch.message_id)
    if campaign.status not in OPEN_CAMPAIGN_STATUSES:
        raise BatchDecisionError(f"Cannot resend for a campaign that is {campaign.status.replace('_', ' ')}.")
    if message.status not in RESENDABLE_MESSAGE_STATUSES:
        raise BatchDecisionError(
            f"This message's status is {message.status}, so its batch cannot be resent. Mark it delivered, or "
            "leave it uncertain."
        )
    send_ledger.queue_resend(session, batch, now)
    audit.record(session, "batch:resend", actor=actor, campaign=campaign, detail=_detail(message, batch))
    session.flush()
    # Read again under the campaign's row lock, after the batch is queued: a worker about to record the message (or
    # the campaign) sent takes the same lock, so either it committed first (then this sees "sent" and reopens it) or
    # it waits for this commit (then it sees the queued batch, or the message sending again).
    session.refresh(campaign, with_for_update=True)
    session.refresh(message)
    _let_worker_continue(session, campaign, message, actor)
    return batch


def mark_delivered(session: Session, campaign: Campaign, batch_id: int, actor: User, now: datetime) -> SendBatch:
    """Record an uncertain batch as sent: its recipients are never sent this message again."""
    batch = _uncertain_batch(session, campaign, batch_id)
    message = session.get(Message, batch.message_id)
    note = f"Marked delivered by {actor.name} (was uncertain: {batch.error or 'no detail'})"
    send_ledger.mark_delivered(session, message, batch, note, now)
    audit.record(session, "batch:marked-delivered", actor=actor, campaign=campaign, detail=_detail(message, batch))
    session.flush()
    if message.status == M.UNCERTAIN:
        _let_worker_continue(session, campaign, message, actor)
    return batch


def _let_worker_continue(session: Session, campaign: Campaign, message: Message, actor: User) -> None:
    """Make the message the worker's again (it picks it up at its next poll).

    A finished message is reopened for the queued resend only (its audience was walked already); one that stopped
    at an uncertain batch goes on with its audience once none of its batches is uncertain. A message being sent,
    or paused, needs nothing: its worker sends queued batches before new ones.
    """
    if message.status == M.UNCERTAIN and _uncertain_count(session, message):
        return  # it stopped at an uncertain batch: the rest of the audience waits until every one is decided
    if message.status not in (M.SENT, M.UNCERTAIN):
        return
    if campaign.status == CampaignStatus.CANCELLED:
        move_message(message, MessageStatus.CANCELLED)
        return
    move_message(message, MessageStatus.SENDING)
    message.claimed_by, message.lease_until = None, None
    if campaign.status == CampaignStatus.SENT:
        lifecycle.transition(session, campaign, CampaignStatus.SCHEDULED, actor, "a batch to resend")


def _uncertain_count(session: Session, message: Message) -> int:
    return session.scalar(
        select(func.count())
        .select_from(SendBatch)
        .where(SendBatch.message_id == message.id, SendBatch.status == B.UNCERTAIN)
    )


def _detail(message: Message, batch: SendBatch) -> str:
    return f"message {message.id}: batch {batch.number} ({batch.recipient_count} recipients)"
