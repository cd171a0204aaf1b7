"""One tick of the worker: find due messages, claim each, send it, keep the campaign's status in step."""

import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.campaigns import audit
from service.models import Campaign, Message
from service.worker.claims import claim_message, due_message_ids
from service.worker.context import WorkerContext
from service.worker.email_send import send_email_message
from service.worker.post_send import send_post_message

log = logging.getLogger(__name__)

SENDERS = {"email": send_email_message, "x": send_post_message}


def run_due_messages(session: Session, ctx: WorkerContext) -> int:
    """Send every message that is due now. Returns how many messages this worker worked on."""
    handled = 0
    for message_id in due_message_ids(session, ctx.clock()):
        if not claim_message(session, message_id, ctx.worker_id, ctx.clock()):
            session.rollback()
            continue
        session.commit()
        message = session.get(Message, message_id, populate_existing=True)
        _mark_campaign_sending(session, message.campaign)
        log.info("sending message %s (%s, campaign %s)", message.id, message.channel, message.campaign_id)
        outcome = SENDERS[message.channel](session, message, ctx)
        log.info("message %s: %s", message.id, outcome)
        update_campaign_status(session, message.campaign)
        session.commit()
        handled += 1
    return handled


def _mark_campaign_sending(session: Session, campaign: Campaign) -> None:
    if campaign.status == "scheduled":
        campaign.status = "sending"
        audit.record(session, "status:scheduled->sending", campaign=campaign)
        session.commit()


def update_campaign_status(session: Session, campaign: Campaign) -> None:
    """A sending campaign goes back to scheduled while later messages wait, and to sent when none are left."""
    session.refresh(campaign, ["status"])
    if campaign.status != "sending":
        return
    open_messages = session.scalar(
        select(func.count())
        .select_from(Message)
        .where(Message.campaign_id == campaign.id, Message.status.in_(("planned", "sending")))
    )
    sending = session.scalar(
        select(func.count()).select_from(Message).where(Message.campaign_id == campaign.id, Message.status == "sending")
    )
    if sending:
        return
    new_status = "scheduled" if open_messages else "sent"
    audit.record(session, f"status:sending->{new_status}", campaign=campaign)
    campaign.status = new_status
