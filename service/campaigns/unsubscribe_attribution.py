"""Unsubscribes through a newsletter's own link or its RFC 8058 header, counted for the message that carried them.

They are kept as email events (event "unsubscribe", kind "link" or "one-click") beside SendGrid's, so the report
counts them the same way. Their id is made from the message and the subscriber: a person leaves through a message at
most once, however often the link is followed.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Delivery, EmailEvent, Message, Subscriber

VIA_LINK, VIA_ONE_CLICK = "link", "one-click"


def own_event_id(message_id: int, subscriber_id: int) -> str:
    # Prefixed so it can never equal one of SendGrid's sg_event_ids (22 characters of base64).
    return f"tidings-unsubscribe-{message_id}-{subscriber_id}"


def record_message_unsubscribe(
    session: Session, subscriber: Subscriber, message_id: int | None, via: str, now: datetime
) -> bool:
    """Count an unsubscribe that just happened for the message the link came from. True if it was counted now.

    Call it only when the unsubscribe changed something: following a second email's link after leaving counts for
    neither. A link naming no message (older links, the preferences page) or a deleted message counts for none.
    """
    if message_id is None or session.get(Message, message_id) is None:
        return False
    event_id = own_event_id(message_id, subscriber.id)
    if session.scalar(select(EmailEvent.id).where(EmailEvent.sg_event_id == event_id)) is not None:
        return False
    delivery_id = session.scalar(
        select(Delivery.id).where(Delivery.message_id == message_id, Delivery.subscriber_id == subscriber.id)
    )
    session.add(
        EmailEvent(
            sg_event_id=event_id,
            event="unsubscribe",
            kind=via,
            message_id=message_id,
            delivery_id=delivery_id,
            subscriber_id=subscriber.id,
            occurred_at=now,
            received_at=now,
        )
    )
    return True
