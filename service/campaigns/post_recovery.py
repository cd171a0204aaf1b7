"""What a person decides about a post on X the worker could not settle: resend it, or skip it. Both are audit-logged.

A message is `uncertain` when one of its parts was sent but its result never recorded and the part is not among the
account's recent posts; `failed` when X refused a part (or stayed unreachable). Resending lets the worker take the
message up again at that part: it looks for the part among the account's posts once more, and posts it only if it
is not there, then goes on with the rest of the thread. Skipping leaves the rest of the thread unposted.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service import audit, send_ledger
from service.campaigns.messages import move_message
from service.campaigns.recovery import OPEN_CAMPAIGN_STATUSES, finish_if_nothing_waits, replan_now
from service.models import Delivery, Message, User
from service.models.statuses import DeliveryStatus, MessageStatus

RESENDABLE_STATUSES = (MessageStatus.UNCERTAIN, MessageStatus.FAILED)
D = DeliveryStatus
UNSETTLED_PART_STATUSES = (D.UNCERTAIN, D.FAILED, D.IN_FLIGHT, D.PENDING, D.RESEND)


class PostRecoveryError(ValueError):
    """The decision cannot be carried out; the message says why, for a person."""


def unsettled_part(session: Session, message: Message) -> Delivery | None:
    """The first part of the message's thread that is not posted, or None."""
    return session.scalar(
        select(Delivery)
        .where(Delivery.message_id == message.id, Delivery.part_index.is_not(None))
        .where(Delivery.status.in_(UNSETTLED_PART_STATUSES))
        .order_by(Delivery.part_index)
        .limit(1)
    )


def describe_part(message: Message, part: Delivery | None) -> str:
    if part is None:
        return "the post"
    count = message.total_count or 0
    return "the post" if count == 1 else f"part {part.part_index + 1} of {count or '?'}"


def resend_post(session: Session, message: Message, actor: User, now: datetime) -> None:
    """Let the worker take the message up again at its unsettled part (a paused campaign: once resumed)."""
    if message.channel != "x" or message.status not in RESENDABLE_STATUSES:
        raise PostRecoveryError(f"This message is {message.status}; only an uncertain or failed post can be resent.")
    campaign = message.campaign
    if campaign.status not in OPEN_CAMPAIGN_STATUSES:
        raise PostRecoveryError(f"Cannot resend a post of a campaign that is {campaign.status.replace('_', ' ')}.")
    part = unsettled_part(session, message)
    if part is not None:
        send_ledger.move_delivery(part, DeliveryStatus.RESEND)
        part.error = None
    was = message.status
    replan_now(session, message, actor, now, why="a post resent")
    audit.record(
        session,
        "post:resend",
        actor=actor,
        campaign=campaign,
        detail=f"message {message.id} ({was}): {describe_part(message, part)} goes out at the worker's next poll",
    )


def skip_post(session: Session, message: Message, actor: User) -> None:
    """Never post the uncertain part nor the rest of its thread. A campaign with nothing left to send is finished."""
    if message.channel != "x" or message.status != MessageStatus.UNCERTAIN:
        raise PostRecoveryError(f"This message is {message.status}; only an uncertain post can be skipped.")
    campaign = message.campaign
    part = unsettled_part(session, message)
    if part is not None:
        send_ledger.move_delivery(part, DeliveryStatus.SKIPPED)
    what = describe_part(message, part)
    move_message(message, MessageStatus.CANCELLED)
    message.error = f"Skipped by {actor.name}: {what} may or may not be on X; nothing after it was posted."
    audit.record(session, "post:skipped", actor=actor, campaign=campaign, detail=f"message {message.id}: {what}")
    finish_if_nothing_waits(session, campaign, actor)
