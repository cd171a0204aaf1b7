"""Posting one message on the social channel: a post, or a thread of replies, each part exactly once.

Each part's images are uploaded first (an upload makes no post), then the part gets a delivery row marked in flight
(committed) before it is posted, and its post id is committed as soon as it is returned. A restarted worker resumes
from the first unposted part. A part left in flight (a dead worker, or a request that got no answer) is looked for
among the account's recent posts: found, it is recorded; not found, the message is flagged uncertain for a person,
who resends the part or skips the message. Nothing is reposted blindly.

What the channel's refusals do to the message:
- rate limit (`retry_at`): back to planned at the reset time; the worker goes on with other messages.
- no answer (`unknown_outcome`): back to planned a minute later, when the part is looked for among recent posts.
- anything else (permanent, credentials, or still failing after the channel's retries): failed, with the channel's
  words on the campaign page. A person may resend it (service/campaigns/post_recovery.py).

A request to X may outlast the worker's lease, and another worker take the message over meanwhile: every write of the
message first checks this worker still holds it (`_still_ours`). One that lost it leaves the message to the new owner
and records only what X told it about its part (see `_record_part_after_losing_claim`).

Part statuses: in_flight, sent, pending (refused before posting: post it next time), failed, uncertain (a person
decides), resend (a person asked: look for it first, post it if it is not there), skipped.
"""

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service import audit
from service.campaigns.messages import move_message
from service.channels.social.base import SocialPostError
from service.models import Delivery, Message
from service.models.statuses import CampaignStatus, DeliveryStatus, MessageStatus
from service.outgoing.posts import composed_posts, post_images
from service.rendering.post import same_post_text
from service.send_ledger import DELIVERY_TRANSITIONS, move_delivery
from service.worker.claims import hand_back, release, renew_lease
from service.worker.context import WorkerContext

log = logging.getLogger(__name__)

# How long after a request that got no answer its post is looked for: long enough for a slow X to have made it.
RECONCILE_AFTER = timedelta(seconds=60)
# Parts whose post may exist although it was not recorded: looked for among the account's posts before posting.
LOOK_FIRST_STATUSES = (DeliveryStatus.IN_FLIGHT, DeliveryStatus.RESEND)


def _parts_recorded(session: Session, message: Message) -> dict[int, Delivery]:
    rows = session.scalars(select(Delivery).where(Delivery.message_id == message.id, Delivery.part_index.is_not(None)))
    return {row.part_index: row for row in rows}


def _published_id(text: str, ctx: WorkerContext, *, has_images: bool = False) -> str | None:
    """The id of the account's recent post carrying `text`, if there is one. Raises SocialPostError."""
    recent = ctx.social_channel.recent_posts(limit=100)
    return next((post.id for post in recent if same_post_text(text, post.text, has_images=has_images)), None)


def _part_name(index: int, count: int) -> str:
    return "the post" if count == 1 else f"part {index + 1} of {count}"


def send_post_message(session: Session, message: Message, ctx: WorkerContext) -> str:
    """Post the message's remaining parts. Returns the message's status when this worker stops working on it."""
    posts = composed_posts(message.campaign, message.section, ctx.clinic)
    message.total_count = len(posts)
    recorded = _parts_recorded(session, message)
    previous_id: str | None = None
    for index, post in enumerate(posts):
        text = post.text
        if ctx.stopping.is_set():
            return hand_back(session, message) if _still_ours(session, message, ctx) else _lost(session, message)
        part = _part_name(index, len(posts))
        delivery = recorded.get(index)
        if delivery is not None and delivery.status == DeliveryStatus.UNCERTAIN:
            return _stop(
                session, message, ctx, MessageStatus.UNCERTAIN, f"{part} may or may not be posted: resend it or skip"
            )
        if delivery is not None and delivery.status in LOOK_FIRST_STATUSES:
            try:
                found = _published_id(text, ctx, has_images=bool(post.images))
            except SocialPostError as error:
                return _after_error(session, message, None, error, f"looking for {part} among the posts", ctx)
            if not _still_ours(session, message, ctx):
                return _record_part_after_losing_claim(session, message, delivery, part, post_id=found)
            if found is not None:
                move_delivery(delivery, DeliveryStatus.SENT)
                delivery.provider_id, delivery.error = found, None
                audit.record(
                    session, "post:found", campaign=message.campaign, detail=f"message {message.id}: {part} ({found})"
                )
            elif delivery.status == DeliveryStatus.IN_FLIGHT:
                move_delivery(delivery, DeliveryStatus.UNCERTAIN)
                delivery.error = "Its request got no answer, and it is not among the account's recent posts."
                return _stop(
                    session,
                    message,
                    ctx,
                    MessageStatus.UNCERTAIN,
                    f"{part} may or may not be posted (not found among the account's recent posts): resend it or skip",
                )
        if delivery is not None and delivery.status == DeliveryStatus.SENT:
            message.sent_count = index + 1
            session.commit()
            previous_id = delivery.provider_id
            continue
        if _campaign_halted(session, message):
            return _halt(session, message, ctx)
        if not renew_lease(session, message, ctx.worker_id, ctx.clock(), ctx.lease):
            session.rollback()
            return "lost"
        try:
            images = post_images(post, ctx.config["MEDIA_DIR"])
        except OSError as error:
            unreadable = f"{part}: an image's stored file cannot be read ({error.strerror})"
            return _stop(session, message, ctx, MessageStatus.FAILED, unreadable)
        delivery = delivery or Delivery(message_id=message.id, part_index=index, channel="x")
        session.commit()  # nothing stays locked while the images upload
        # Uploaded before the part is marked in flight: an upload makes no post, so a worker stopped meanwhile
        # leaves a part the next one simply posts.
        try:
            images = ctx.social_channel.upload_images(images)
        except SocialPostError as error:
            return _after_upload_error(session, message, delivery, error, part, ctx)
        if not renew_lease(session, message, ctx.worker_id, ctx.clock(), ctx.lease):
            session.rollback()
            return "lost"
        move_delivery(delivery, DeliveryStatus.IN_FLIGHT)
        delivery.error = None
        session.add(delivery)
        session.commit()
        try:
            post_id = ctx.social_channel.post(text, in_reply_to=previous_id, images=images)
        except SocialPostError as error:
            return _after_error(session, message, delivery, error, part, ctx)
        if not _still_ours(session, message, ctx):
            return _record_part_after_losing_claim(session, message, delivery, part, post_id=post_id)
        move_delivery(delivery, DeliveryStatus.SENT)
        delivery.provider_id = post_id
        message.sent_count = index + 1
        session.commit()
        previous_id = post_id
    message.finished_at = ctx.clock()
    message.error = None
    return _stop(session, message, ctx, MessageStatus.SENT)


def _after_error(
    session: Session, message: Message, delivery: Delivery | None, error: SocialPostError, part: str, ctx: WorkerContext
) -> str:
    """Record what a refusal means. `delivery`: the part just posted (None when only looking for a part)."""
    if not _still_ours(session, message, ctx):
        # Refused (not unknown): X did not make the post, which the new owner needs to know to post it.
        refusal = None if error.unknown_outcome else str(error)
        return _record_part_after_losing_claim(session, message, delivery, part, refusal=refusal)
    if error.unknown_outcome:
        # The part stays in flight: the next run looks for it before anything else.
        when = ctx.clock() + RECONCILE_AFTER
        note = f"{part}: {error}. It is looked for among the account's posts"
        return _reschedule(session, message, when, note, ctx)
    if error.retry_at is not None:
        if delivery is not None:
            move_delivery(delivery, DeliveryStatus.PENDING)  # refused, so not posted
            delivery.error = str(error)
        when = datetime.fromtimestamp(error.retry_at, UTC)
        return _reschedule(session, message, when, f"{part}: {error}", ctx)
    if delivery is not None:
        move_delivery(delivery, DeliveryStatus.FAILED)
        delivery.error = str(error)
    return _stop(session, message, ctx, MessageStatus.FAILED, f"{part}: {error}")


def _after_upload_error(
    session: Session, message: Message, delivery: Delivery, error: SocialPostError, part: str, ctx: WorkerContext
) -> str:
    """X refused or never took the part's images: it made no post, so the part is posted next time (rate limit) or
    waits for a person, failed."""
    # Checked before the part is added: a worker that lost the message records nothing of a part it never posted.
    if not _still_ours(session, message, ctx):
        return _lost(session, message)
    session.add(delivery)
    return _after_error(session, message, delivery, error, f"{part} (uploading its images)", ctx)


def _reschedule(session: Session, message: Message, when: datetime, note: str, ctx: WorkerContext) -> str:
    """Back to planned for `when`; the worker goes on with other messages meanwhile."""
    if not _still_ours(session, message, ctx):
        return _lost(session, message)
    move_message(message, MessageStatus.PLANNED)
    message.send_at = when
    message.error = f"{note}; trying again at {when.isoformat(timespec='seconds')}."
    release(message)
    audit.record(session, "message:rescheduled", campaign=message.campaign, detail=f"message {message.id}: {note}")
    session.commit()
    return "planned"


def _campaign_halted(session: Session, message: Message) -> bool:
    session.refresh(message.campaign, ["status"])
    return message.campaign.status in (CampaignStatus.PAUSED, CampaignStatus.CANCELLED)


def _halt(session: Session, message: Message, ctx: WorkerContext) -> str:
    """The campaign was paused or cancelled mid-thread: stop before the next part (resume continues from there)."""
    if not _still_ours(session, message, ctx):
        return _lost(session, message)
    halted = message.campaign.status == CampaignStatus.PAUSED
    move_message(message, MessageStatus.PAUSED if halted else MessageStatus.CANCELLED)
    release(message)
    session.commit()
    return message.status


def _stop(session: Session, message: Message, ctx: WorkerContext, status: MessageStatus, detail: str = "") -> str:
    if not _still_ours(session, message, ctx):
        return _lost(session, message)
    move_message(message, status)
    if status != "sent":
        message.error = detail
        audit.record(session, f"message:{status}", campaign=message.campaign, detail=f"message {message.id}: {detail}")
    release(message)
    session.commit()
    return status


def _still_ours(session: Session, message: Message, ctx: WorkerContext) -> bool:
    """Whether this worker still holds the message (a compare-and-set that also renews its lease): first in every
    transaction writing the message, since a request to X may have outlasted the lease."""
    return renew_lease(session, message, ctx.worker_id, ctx.clock(), ctx.lease)


def _lost(session: Session, message: Message) -> str:
    """Another worker took the message over: its status and claim are that worker's."""
    session.rollback()
    log.warning("message %s: another worker took it over; this one leaves it", message.id)
    return "lost"


def _record_part_after_losing_claim(
    session: Session,
    message: Message,
    delivery: Delivery | None,
    part: str,
    *,
    post_id: str | None = None,
    refusal: str | None = None,
) -> str:
    """Another worker took the message over while this one's request was out. The message's status and claim are
    the new owner's; this worker records only what its request taught about the part, where the new owner has not
    yet learned it: `post_id`, X made the post; `refusal`, X did not (to be posted next). Neither: the new owner
    looks for the part among the account's posts, as for any part left in flight."""
    session.rollback()
    recorded = "nothing more is known of it"
    if delivery is not None and (post_id or refusal):
        session.refresh(delivery, with_for_update=True)
        before = DeliveryStatus(delivery.status) if delivery.status else None
        if post_id and before != DeliveryStatus.SENT and DeliveryStatus.SENT in DELIVERY_TRANSITIONS[before]:
            move_delivery(delivery, DeliveryStatus.SENT)
            delivery.provider_id, delivery.error = post_id, None
            recorded = f"X made it ({post_id}): recorded posted"
        elif refusal and before == DeliveryStatus.IN_FLIGHT:
            move_delivery(delivery, DeliveryStatus.PENDING)
            delivery.error = refusal
            recorded = "X refused it: recorded not posted"
        else:
            recorded = f"the new owner has it as {before}, which stays"
    session.commit()
    log.warning(
        "message %s: another worker took it over while the request for %s was out; %s; the message is left to it",
        message.id,
        part,
        recorded,
    )
    return "lost"
