"""One tick of the worker: mark what was missed, claim each due message, send it, keep the campaign's status in step."""

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.campaigns import lifecycle
from service.campaigns.batches import resolve_delivered_batches
from service.campaigns.recovery import WAITING_MESSAGE_STATUSES
from service.models import Campaign, Message, SendBatch
from service.models.statuses import BatchStatus, CampaignStatus, MessageStatus
from service.outgoing.posts import thread_parts_for
from service.subscribers.audience import audience_size
from service.worker.claims import (
    claim_next_message,
    hold_dispatch_lease,
    mark_missed_messages,
    release_dispatch_lease,
)
from service.worker.context import WorkerContext
from service.worker.email_send import send_email_message
from service.worker.handover import schedule_lead
from service.worker.post_send import send_post_message

log = logging.getLogger(__name__)

SENDERS = {"email": send_email_message, "x": send_post_message}
DEFAULT_MISSED_GRACE_HOURS = 6


def missed_before(ctx: WorkerContext, now: datetime) -> datetime:
    """Planned messages due before this instant are missed: the worker was away longer than the grace."""
    return now - timedelta(hours=float(ctx.config.get("MISSED_GRACE_HOURS", DEFAULT_MISSED_GRACE_HOURS)))


def run_due_messages(session: Session, ctx: WorkerContext) -> int:
    """Send every message that is due now. Returns how many messages this worker worked on."""
    if not hold_dispatch_lease(session, ctx.worker_id, ctx.clock(), ctx.lease):
        return 0
    try:
        return _dispatch(session, ctx)
    finally:
        # Everything that matters was committed as it happened; drop whatever a failure left half-done.
        session.rollback()
        release_dispatch_lease(session, ctx.worker_id)


def _dispatch(session: Session, ctx: WorkerContext) -> int:
    finish_handed_over_campaigns(session, ctx.clock())
    if resolve_delivered_batches(session, ctx.clock()):
        log.info("uncertain batches whose every recipient has a SendGrid event were recorded delivered")
    session.commit()
    for message_id in mark_missed_messages(session, missed_before(ctx, ctx.clock())):
        log.warning("message %s was missed (due longer ago than the grace); a person decides", message_id)
    handled: list[int] = []
    while not ctx.stopping.is_set():
        now = ctx.clock()
        message_id = claim_next_message(
            session,
            ctx.worker_id,
            now,
            missed_before(ctx, now),
            exclude=handled,
            lease=ctx.lease,
            handover_lead=schedule_lead(ctx.config, ctx.email_channel.hands_over),
        )
        if message_id is None:
            break
        handled.append(message_id)
        message = session.get(Message, message_id, populate_existing=True)
        _record_start(session, message, ctx)
        _mark_campaign_sending(session, message.campaign)
        log.info("sending message %s (%s, campaign %s)", message.id, message.channel, message.campaign_id)
        outcome = SENDERS[message.channel](session, message, ctx)
        log.info("message %s: %s", message.id, outcome)
        update_campaign_status(session, message.campaign, ctx.clock())
        session.commit()
    return len(handled)


def _record_start(session: Session, message: Message, ctx: WorkerContext) -> None:
    """On the first claim: when sending began, and how much there is to send (for the progress bar)."""
    if message.started_at is None:
        message.started_at = ctx.clock()
    if message.total_count is None:
        if message.channel == "email":
            message.total_count = audience_size(session, message.campaign.topics or [])
        else:
            message.total_count = len(thread_parts_for(message.campaign, message.section, ctx.clinic))
    session.commit()


def _mark_campaign_sending(session: Session, campaign: Campaign) -> None:
    if campaign.status == CampaignStatus.SCHEDULED:
        lifecycle.transition(session, campaign, CampaignStatus.SENDING, None)
        session.commit()


def _held_by_sendgrid(session: Session, campaign: Campaign, now: datetime) -> bool:
    return (
        session.scalar(
            select(func.count())
            .select_from(SendBatch)
            .join(Message, Message.id == SendBatch.message_id)
            .where(
                Message.campaign_id == campaign.id, SendBatch.status == BatchStatus.SENT, SendBatch.scheduled_for > now
            )
        )
        > 0
    )


def finish_handed_over_campaigns(session: Session, now: datetime) -> None:
    """Campaigns left scheduled only because SendGrid held their email for its send time are sent once it came."""
    for campaign in session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.SCHEDULED)).all():
        if _handed_over_any(session, campaign) and not _held_by_sendgrid(session, campaign, now):
            waiting = session.scalar(
                select(func.count())
                .select_from(Message)
                .where(Message.campaign_id == campaign.id, Message.status.in_(WAITING_MESSAGE_STATUSES))
            )
            if not waiting:
                lifecycle.transition(session, campaign, CampaignStatus.SENT, None, "SendGrid's send time came")
    session.commit()


def _handed_over_any(session: Session, campaign: Campaign) -> bool:
    return (
        session.scalar(
            select(func.count())
            .select_from(SendBatch)
            .join(Message, Message.id == SendBatch.message_id)
            .where(Message.campaign_id == campaign.id, SendBatch.scheduled_for.is_not(None))
        )
        > 0
    )


def update_campaign_status(session: Session, campaign: Campaign, now: datetime | None = None) -> None:
    """A sending campaign goes back to scheduled while later messages wait, and to sent when none are left.

    The campaign is read under a row lock and changed only if no message is sending at the moment of the change: a
    person may reopen a message (a resend) meanwhile, and holds the same lock while doing so (see
    service/campaigns/batches.py), so a reopened message never belongs to a campaign marked sent."""
    session.refresh(campaign, ["status"], with_for_update=True)
    if campaign.status != CampaignStatus.SENDING:
        return
    counts = dict(
        session.execute(
            select(Message.status, func.count()).where(Message.campaign_id == campaign.id).group_by(Message.status)
        ).all()
    )
    if counts.get(MessageStatus.SENDING):
        return
    waiting = any(counts.get(status) for status in WAITING_MESSAGE_STATUSES)
    # Email SendGrid holds for a later send time can still be paused or cancelled: not sent before that time.
    held = _held_by_sendgrid(session, campaign, now or datetime.now(UTC))
    new_status = CampaignStatus.SCHEDULED if waiting or held else CampaignStatus.SENT
    sending = (
        select(Message.id).where(Message.campaign_id == campaign.id, Message.status == MessageStatus.SENDING).exists()
    )
    lifecycle.transition_if(session, campaign, CampaignStatus.SENDING, new_status, ~sending)
