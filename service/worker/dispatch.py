"""One tick of the worker: mark what was missed, claim each due message, send it, keep the campaign's status in step."""

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.campaigns import lifecycle
from service.campaigns.recovery import WAITING_MESSAGE_STATUSES
from service.models import Campaign, Message
from service.models.statuses import CampaignStatus, MessageStatus
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
    for message_id in mark_missed_messages(session, missed_before(ctx, ctx.clock())):
        log.warning("message %s was missed (due longer ago than the grace); a person decides", message_id)
    handled: list[int] = []
    while not ctx.stopping.is_set():
        now = ctx.clock()
        message_id = claim_next_message(
            session, ctx.worker_id, now, missed_before(ctx, now), exclude=handled, lease=ctx.lease
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
        update_campaign_status(session, message.campaign)
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


def update_campaign_status(session: Session, campaign: Campaign) -> None:
    """A sending campaign goes back to scheduled while later messages wait, and to sent when none are left."""
    session.refresh(campaign, ["status"])
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
    lifecycle.transition(session, campaign, CampaignStatus.SCHEDULED if waiting else CampaignStatus.SENT, None)
