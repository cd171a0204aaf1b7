"""The worker's hourly job: the public metrics of the campaigns' recent posts on X, read through the social channel.

Every part posted by a message sent in the last week (a delivery with X's post id) is looked up, at most 100 ids a
request; the totals X gives replace the stored ones (one row per post, written by upsert, so two workers fetching at
once only write the same totals twice). A post X no longer shows (deleted, hidden) keeps its last totals and is
marked gone. A refusal (a rate limit, X down, credentials) ends the run with the batches already read committed;
the next run, an hour later, reads them all again.
"""

import logging
import threading
from dataclasses import asdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.channels.social.base import MAX_POSTS_PER_LOOKUP, PublicMetrics, SocialChannel, SocialPostError
from service.models import Delivery, Message, PostMetrics
from service.models.statuses import DeliveryStatus
from service.upserts import insert_on_conflict

log = logging.getLogger(__name__)

# Posts stop gathering much after a few days; a week bounds what each run asks X for.
METRICS_WINDOW = timedelta(days=7)


def recent_posts(session: Session, now: datetime) -> list[tuple[int, str]]:
    """(delivery id, X's post id) of every part posted by an X message sent in the METRICS_WINDOW before `now`."""
    # Through the messages, which are few: the deliveries are millions, found here by their message_id index.
    return list(
        session.execute(
            select(Delivery.id, Delivery.provider_id)
            .join(Message, Message.id == Delivery.message_id)
            .where(
                Message.channel == "x",
                Message.send_at >= now - METRICS_WINDOW,
                Message.send_at <= now,
                Delivery.status == DeliveryStatus.SENT,
                Delivery.provider_id.is_not(None),
            )
            .order_by(Delivery.id)
        ).tuples()
    )


def fetch_post_metrics(
    session: Session, channel: SocialChannel, now: datetime, stopping: threading.Event | None = None
) -> int:
    """Read and store the metrics of the recent posts. Returns how many posts X gave totals for.

    With a channel that counts nothing (the outbox) it does nothing. Once `stopping` is set (the worker's SIGTERM)
    it asks for no more batches: the worker's stop does not wait for X."""
    if not channel.keeps_public_metrics:
        return 0
    posts = recent_posts(session, now)
    counted = 0
    for start in range(0, len(posts), MAX_POSTS_PER_LOOKUP):
        if stopping is not None and stopping.is_set():
            break
        batch = posts[start : start + MAX_POSTS_PER_LOOKUP]
        try:
            metrics = channel.public_metrics([post_id for _, post_id in batch])
        except SocialPostError as error:
            log.warning(
                "post metrics: stopped after %s of %s posts (the next run tries again): %s", start, len(posts), error
            )
            break
        for delivery_id, post_id in batch:
            _store(session, delivery_id, metrics.get(post_id), now)
        session.commit()
        counted += len(metrics)
    return counted


def _store(session: Session, delivery_id: int, metrics: PublicMetrics | None, now: datetime) -> None:
    table = PostMetrics.__table__
    statement = insert_on_conflict(session, table)
    if metrics is None:
        # X does not show the post (any more): its last totals stay, marked gone.
        row = {"delivery_id": delivery_id, "likes": 0, "reposts": 0, "replies": 0, "quotes": 0}
        statement = statement.values(**row, fetched_at=now, gone_at=now).on_conflict_do_update(
            index_elements=[table.c.delivery_id], set_={"gone_at": now}
        )
    else:
        values = {**asdict(metrics), "fetched_at": now, "gone_at": None}
        statement = statement.values(delivery_id=delivery_id, **values).on_conflict_do_update(
            index_elements=[table.c.delivery_id], set_=values
        )
    session.execute(statement)
