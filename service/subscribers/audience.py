"""Who gets an email message: confirmed subscribers of the chosen topics, minus suppressions, walked in id order."""

from collections.abc import Sequence

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from service.models import Subscriber, SubscriberTopic, Suppression


def _audience_query(topics: Sequence[str], after_id: int = 0) -> Select:
    # The id bound inside EXISTS too: PostgreSQL then walks the topic index from the cursor, not from the start,
    # so a send's cost grows with the list, not with its square.
    has_topic = exists().where(
        SubscriberTopic.subscriber_id == Subscriber.id,
        SubscriberTopic.topic.in_(topics),
        SubscriberTopic.subscriber_id > after_id,
    )
    suppressed = exists().where(Suppression.email_hash == Subscriber.email_hash)
    return select(Subscriber.id, Subscriber.public_id, Subscriber.email, Subscriber.first_name).where(
        Subscriber.status == "confirmed", has_topic, ~suppressed
    )


def audience_batch(session: Session, topics: Sequence[str], *, after_id: int, limit: int) -> list:
    """The next `limit` recipients with id > after_id, as rows of (id, public_id, email, first_name). Memory stays
    per batch."""
    query = _audience_query(topics, after_id).where(Subscriber.id > after_id).order_by(Subscriber.id).limit(limit)
    return list(session.execute(query))


def audience_among(session: Session, topics: Sequence[str], subscriber_ids: Select) -> list:
    """Those of `subscriber_ids` (a SELECT of ids) still in the audience, as rows of (id, public_id, email,
    first_name), in id order."""
    query = _audience_query(topics).where(Subscriber.id.in_(subscriber_ids)).order_by(Subscriber.id)
    return list(session.execute(query))


def audience_size(session: Session, topics: Sequence[str]) -> int:
    if not topics:
        return 0
    return session.scalar(select(func.count()).select_from(_audience_query(topics).subquery())) or 0
