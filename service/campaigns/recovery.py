"""What a person decides about a missed message: send it now, or skip it. Both are audit-logged."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service import audit
from service.campaigns import lifecycle
from service.campaigns.messages import move_message
from service.models import Campaign, Message, User
from service.models.statuses import CampaignStatus, MessageStatus

C, M = CampaignStatus, MessageStatus
# Statuses in which a campaign's messages may still go out (after a resume, for a paused one).
OPEN_CAMPAIGN_STATUSES = (C.SCHEDULED, C.SENDING, C.PAUSED, C.SENT)
# Statuses in which the worker takes a campaign's messages.
RUNNING_CAMPAIGN_STATUSES = (C.SCHEDULED, C.SENDING)
# A campaign is not finished while any of its messages may still go out or awaits a person's decision: a missed
# message, or an uncertain one (an email stopped at an uncertain batch, the rest of its audience not yet sent; a post
# whose thread stopped at a part that may or may not be on X).
WAITING_MESSAGE_STATUSES = (M.PLANNED, M.SENDING, M.PAUSED, M.MISSED, M.UNCERTAIN)


class RecoveryError(ValueError):
    """The decision cannot be carried out; the message says why, for a person."""


def _require_missed(message: Message) -> None:
    if message.status != M.MISSED:
        raise RecoveryError(f"This message is {message.status}, not missed; there is nothing to decide.")


def send_missed_now(session: Session, message: Message, actor: User, now: datetime) -> None:
    """Re-plan a missed message for now: the worker sends it at its next poll (a paused campaign: once resumed)."""
    _require_missed(message)
    campaign = message.campaign
    if campaign.status not in OPEN_CAMPAIGN_STATUSES:
        raise RecoveryError(f"Cannot send a message of a campaign that is {campaign.status.replace('_', ' ')}.")
    was_due = message.send_at
    replan_now(session, message, actor, now, why="a missed send")
    audit.record(
        session,
        "message:send-now",
        actor=actor,
        campaign=campaign,
        detail=f"message {message.id} ({message.channel}) was due {was_due.isoformat()}",
    )


def skip_missed(session: Session, message: Message, actor: User) -> None:
    """Never send a missed message. A campaign with nothing else left to send is then finished."""
    _require_missed(message)
    campaign = message.campaign
    move_message(message, MessageStatus.CANCELLED)
    message.error = f"Skipped by {actor.name} after it was missed."
    audit.record(
        session,
        "message:skipped",
        actor=actor,
        campaign=campaign,
        detail=f"message {message.id} ({message.channel}) was due {message.send_at.isoformat()}",
    )
    finish_if_nothing_waits(session, campaign, actor)


def replan_now(session: Session, message: Message, actor: User, now: datetime, *, why: str) -> None:
    """Hand a message back to the worker for its next poll; a campaign already marked sent is open again."""
    campaign = message.campaign
    move_message(message, MessageStatus.PLANNED)
    message.send_at, message.error = now, None
    if campaign.status == CampaignStatus.SENT:
        lifecycle.transition(session, campaign, CampaignStatus.SCHEDULED, actor, why)


def finish_if_nothing_waits(session: Session, campaign: Campaign, actor: User) -> None:
    """A sending campaign whose last waiting message was just settled by a person is finished."""
    session.flush()
    if campaign.status in RUNNING_CAMPAIGN_STATUSES and not _waiting_messages(session, campaign):
        lifecycle.transition(session, campaign, CampaignStatus.SENT, actor, "nothing left")


def _waiting_messages(session: Session, campaign: Campaign) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Message)
        .where(Message.campaign_id == campaign.id, Message.status.in_(WAITING_MESSAGE_STATUSES))
    )
