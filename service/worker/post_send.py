"""Posting one message on the social channel: a post, or a thread of replies, each part exactly once.

Each part gets a delivery row marked in flight (committed) before it is posted, and its post id is committed as soon
as it is returned. A restarted worker resumes from the first unposted part. A part left in flight by a dead worker
is looked for among the account's recent posts: found, it is recorded; not found, the message is flagged uncertain
for a person. Nothing is reposted blindly.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.campaigns import audit
from service.channels.social.base import SocialPostError
from service.models import Campaign, Delivery, Message, Snippet
from service.rendering.post import render_thread
from service.worker.claims import release, renew_lease
from service.worker.context import WorkerContext
from service.worker.links import article_link


def thread_parts_for(campaign: Campaign, snippet: Snippet, ctx: WorkerContext) -> list[str]:
    return render_thread(
        heading=snippet.heading,
        body=snippet.body,
        link=article_link(campaign, ctx.clinic),
        hashtags=campaign.hashtags,
    )


def _parts_recorded(session: Session, message: Message) -> dict[int, Delivery]:
    rows = session.scalars(select(Delivery).where(Delivery.message_id == message.id, Delivery.part_index.is_not(None)))
    return {row.part_index: row for row in rows}


def _reconcile(session: Session, delivery: Delivery, text: str, ctx: WorkerContext) -> bool:
    """Settle a part whose outcome is unknown. True if it was found among the account's posts."""
    for post in ctx.social_channel.recent_posts(limit=100):
        if post.text == text:
            delivery.status, delivery.provider_id = "sent", post.id
            return True
    delivery.status = "uncertain"
    return False


def send_post_message(session: Session, message: Message, ctx: WorkerContext) -> str:
    parts = thread_parts_for(message.campaign, message.snippet, ctx)
    recorded = _parts_recorded(session, message)
    previous_id: str | None = None
    for index, text in enumerate(parts):
        delivery = recorded.get(index)
        if delivery is not None and delivery.status == "in_flight" and not _reconcile(session, delivery, text, ctx):
            return _stop(session, message, "uncertain", f"part {index + 1} of {len(parts)} may or may not be posted")
        if delivery is not None and delivery.status == "uncertain":
            return _stop(session, message, "uncertain", f"part {index + 1} of {len(parts)} needs a person")
        if delivery is not None and delivery.status == "sent":
            previous_id = delivery.provider_id
            continue
        if not renew_lease(session, message, ctx.worker_id, ctx.clock()):
            session.rollback()
            return "lost"
        delivery = delivery or Delivery(message_id=message.id, part_index=index, channel="x")
        delivery.status = "in_flight"
        session.add(delivery)
        session.commit()
        try:
            delivery.provider_id = ctx.social_channel.post(text, in_reply_to=previous_id)
        except SocialPostError as error:
            delivery.status, delivery.error = "failed", str(error)
            return _stop(session, message, "failed", str(error))
        delivery.status = "sent"
        message.sent_count = index + 1
        session.commit()
        previous_id = delivery.provider_id
    message.total_count = len(parts)
    message.finished_at = ctx.clock()
    return _stop(session, message, "sent")


def _stop(session: Session, message: Message, status: str, detail: str = "") -> str:
    message.status = status
    if status != "sent":
        message.error = detail
        audit.record(session, f"message:{status}", campaign=message.campaign, detail=f"message {message.id}: {detail}")
    release(message)
    session.commit()
    return status
