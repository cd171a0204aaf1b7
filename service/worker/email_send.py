"""Sending one email message to its audience, batch by batch, exactly once or flagged.

Each batch is written as in flight (batch row + one delivery per recipient) and committed before the request; the
result is committed after. A worker killed in between leaves the batch in flight; whoever takes the message over
marks it uncertain for a person to decide, and never sends it again by itself.

The audience is walked in subscriber-id order from `Message.audience_cursor`, one batch at a time, so memory does
not grow with the list and a paused, stopped or taken-over message continues where it stopped.

When a request fails:
- permanently (SendGrid refused it: a 4xx other than 429): the batch and the message fail, with SendGrid's reason;
- otherwise (no answer in time, which the channel never retries because SendGrid may have accepted the request; or
  a 5xx, 429 or unreachable SendGrid that outlasted the channel's retries): the batch is marked uncertain and the
  message stops (status "uncertain") until a person resends the batch or marks it delivered on the campaign page;
  then the rest of the audience goes out (see service/campaigns/batches.py);
- SendGrid has not taken the batch and this worker will not wait to try again (it is stopping, or the wait would
  outlast its lease): the batch is undone as if never tried and the message handed back, held until SendGrid's
  wait is over (see `_take_back`). So a stop never waits out a rate limit, and no other worker takes over a batch
  still wanted.
A batch a person asked to resend (status "resend") is sent before the next new batch, to those of its recipients
who are still in the audience.
"""

import hmac
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, int_to_bytes
from markupsafe import escape
from sqlalchemy import ARRAY, Integer, any_, bindparam, delete, exists, insert, literal, select, update
from sqlalchemy.orm import Session, scoped_session

from service.campaigns import audit
from service.channels.email.base import EmailSendError, OutgoingEmail, Recipient, SendAbandoned
from service.compliance.setup import send_time_problem
from service.models import Campaign, Delivery, Message, SendBatch, Snippet, Subscriber, SubscriberTopic, Suppression
from service.models.base import UTCDateTime
from service.rendering.clinic import ClinicInfo
from service.rendering.email import GREETING_HTML, GREETING_TEXT, UNSUBSCRIBE_URL, greeting_for, render_email
from service.subscribers.audience import audience_batch
from service.worker.claims import hand_back, release, renew_lease
from service.worker.context import WorkerContext
from service.worker.links import article_link

log = logging.getLogger(__name__)

MAX_BATCH_SIZE = 1000  # SendGrid's limit of personalizations per request


def outgoing_email_for(
    campaign: Campaign, snippet: Snippet, ctx: WorkerContext, message_id: int | None = None
) -> OutgoingEmail:
    """The email as it goes out; previews call it too (without a message id), so they show exactly this."""
    rendered = render_email(
        subject=campaign.email_subject,
        heading=snippet.heading,
        body=snippet.body,
        clinic=ctx.clinic,
        read_more_url=article_link(campaign, ctx.clinic),
        campaign_slug=campaign.slug,
    )
    return OutgoingEmail(
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        headers={
            "List-Unsubscribe": f"<{UNSUBSCRIBE_URL}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        categories=("newsletter", campaign.slug[:255]),
        custom_args={"message_id": str(message_id)} if message_id else {},
    )


def recipient_values(unsubscribe_link: str, first_name: str) -> dict[str, str]:
    """The per-recipient substitutions of a newsletter email."""
    greeting = greeting_for(first_name or "")
    return {UNSUBSCRIBE_URL: unsubscribe_link, GREETING_TEXT: greeting, GREETING_HTML: str(escape(greeting))}


def recipients_for(rows: list, ctx: WorkerContext) -> list[Recipient]:
    """Recipients for audience rows of (id, public_id, email, first_name)."""
    links = UnsubscribeLinks(ctx.clinic, ctx.config["SECRET_KEY"]).for_subscribers([row.public_id for row in rows])
    return [
        Recipient(email=row.email, substitutions=recipient_values(link, row.first_name))
        for row, link in zip(rows, links, strict=True)
    ]


class UnsubscribeLinks:
    """The unsubscribe links of a whole batch: exactly what `unsubscribe_url` makes, ten times faster.

    `make_token` builds a serializer and a signer and derives the key for every token, and the URL-safe serializer
    tries to zlib-compress every payload; together that is most of a batch's time. Here the signer is built and the
    key derived once per batch, and a public id's payload (its JSON, too short to compress) is encoded directly.
    Every batch checks its first token against itsdangerous's own, and falls back to it if they ever differ.
    """

    PURPOSE = "unsubscribe"

    def __init__(self, clinic: ClinicInfo, secret_key: str):
        self.prefix = f"{clinic.public_base_url}/unsubscribe/"
        self.serializer = URLSafeTimedSerializer(secret_key, salt=f"tidings-{self.PURPOSE}")
        self.signer = self.serializer.make_signer()
        self.mac = hmac.new(self.signer.derive_key(), digestmod=self.signer.digest_method)
        self.sep = self.signer.sep.encode() if isinstance(self.signer.sep, str) else self.signer.sep

    def for_subscribers(self, public_ids: list[str]) -> list[str]:
        stamp = self.sep + base64_encode(int_to_bytes(self.signer.get_timestamp()))
        fast = self._payload
        if public_ids and fast(public_ids[0]) != self.serializer.dump_payload(public_ids[0]):
            fast = self.serializer.dump_payload
        links = []
        for public_id in public_ids:
            value = fast(public_id) + stamp
            mac = self.mac.copy()
            mac.update(value)
            links.append(self.prefix + (value + self.sep + base64_encode(mac.digest())).decode("ascii"))
        return links

    @staticmethod
    def _payload(public_id: str) -> bytes:
        # Public ids are URL-safe base64 text: their JSON is the id in quotes, nothing to escape.
        return base64_encode(f'"{public_id}"'.encode("ascii"))


def mark_abandoned_batches_uncertain(session: Session, message: Message) -> int:
    """Batches left in flight by a dead worker: their outcome is unknown, so a person decides."""
    batch_ids = list(
        session.scalars(select(SendBatch.id).where(SendBatch.message_id == message.id, SendBatch.status == "in_flight"))
    )
    if not batch_ids:
        return 0
    session.execute(
        update(SendBatch)
        .where(SendBatch.id.in_(batch_ids))
        .values(status="uncertain", error="The worker stopped while this batch was being sent; it may have gone out.")
    )
    session.execute(
        update(Delivery)
        .where(Delivery.batch_id.in_(batch_ids), Delivery.status == "in_flight")
        .values(status="uncertain")
    )
    audit.record(
        session,
        "batches:uncertain",
        campaign=message.campaign,
        detail=f"message {message.id}: {len(batch_ids)} batch(es)",
    )
    return len(batch_ids)


def _start_batch(session: Session, message: Message, rows: list, now: datetime) -> SendBatch:
    """Write a batch of audience rows in flight (the batch, and a delivery per recipient), advancing the cursor past
    them. No address repeats within a batch: email_hash is unique per subscriber."""
    number = (
        session.scalar(
            select(SendBatch.number)
            .where(SendBatch.message_id == message.id)
            .order_by(SendBatch.number.desc())
            .limit(1)
        )
        or 0
    ) + 1
    batch = SendBatch(
        message_id=message.id, number=number, status="in_flight", recipient_count=len(rows), started_at=now
    )
    session.add(batch)
    session.flush()
    # One INSERT ... SELECT: the database writes the batch's deliveries without a Python round per row (with up to
    # 1000 rows a batch, per-row parameter handling was a fifth of a whole send's time).
    session.execute(
        insert(Delivery.__table__).from_select(
            ["message_id", "batch_id", "subscriber_id", "channel", "status", "created_at", "updated_at"],
            select(
                literal(message.id),
                literal(batch.id),
                Subscriber.id,
                literal("email"),
                literal("in_flight"),
                literal(now, UTCDateTime),
                literal(now, UTCDateTime),
            ).where(_one_of(session, Subscriber.id, [row.id for row in rows])),
        )
    )
    message.audience_cursor = rows[-1].id
    return batch


def _one_of(session: Session, column, ids: list[int]):
    """`column IN ids`; on PostgreSQL as one array parameter: a thousand separate ones cost more to build and parse
    than the database takes to insert the rows."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
    return column.in_(ids)


def _finish_batch(session: Session, message: Message, batch: SendBatch, status: str, now: datetime, **values) -> None:
    batch.status = status
    batch.finished_at = now
    for name, value in values.items():
        setattr(batch, name, value)
    delivery_status = {"sent": "sent", "uncertain": "uncertain"}.get(status, "failed")
    session.execute(
        update(Delivery)
        .where(Delivery.batch_id == batch.id, Delivery.status == "in_flight")
        .values(status=delivery_status, updated_at=now)
    )
    if status == "sent":
        # Counted in SQL: a person marking an uncertain batch delivered may add to the same count meanwhile.
        session.execute(
            update(Message)
            .where(Message.id == message.id)
            .values(sent_count=Message.sent_count + batch.recipient_count)
            .execution_options(synchronize_session=False)
        )


def _stop_reason(session: Session, message: Message, ctx: WorkerContext) -> str | None:
    """Why this worker must stop before the next batch (and the message's state is then recorded), or None."""
    if ctx.stopping.is_set():
        return hand_back(session, message)
    session.refresh(message.campaign, ["status"])
    if message.campaign.status in ("paused", "cancelled"):
        message.status = "paused" if message.campaign.status == "paused" else "cancelled"
        release(message)
        session.commit()
        return message.status
    if not renew_lease(session, message, ctx.worker_id, ctx.clock()):
        session.rollback()
        return "lost"
    return None


def _send_batch(
    session: Session,
    message: Message,
    batch: SendBatch,
    rows: list,
    email: OutgoingEmail,
    ctx: WorkerContext,
    cursor_before: int | None,
) -> str | None:
    """Send a batch that was committed in flight and record the result. Returns the message's status if the
    message stops here, None to go on. `cursor_before`: the audience cursor before a new batch (None: a resend)."""
    if not rows:
        _finish_batch(session, message, batch, "sent", ctx.clock())
        session.commit()
        return None
    try:
        provider_id = ctx.email_channel.send_batch(_with_batch_id(email, batch), recipients_for(rows, ctx))
    except SendAbandoned as abandoned:
        return _take_back(session, message, batch, cursor_before, abandoned.retry_after, ctx)
    except EmailSendError as error:
        return _record_failure(session, message, batch, error, ctx)
    _finish_batch(session, message, batch, "sent", ctx.clock(), provider_message_id=provider_id)
    session.commit()
    return None


def _take_back(
    session: Session,
    message: Message,
    batch: SendBatch,
    cursor_before: int | None,
    retry_after: float | None,
    ctx: WorkerContext,
) -> str:
    """SendGrid did not take the batch and this worker gives up on it for now: undo it as if never tried, and hand
    the message back.

    A new batch is removed and the audience cursor goes back, so the next worker walks those recipients again (as
    they are then: someone who unsubscribed meanwhile is left out). A batch being resent is queued again. When
    SendGrid asked for a wait, the message stays unclaimed but held until the wait is over (a sending message is
    taken once its lease has run out, see claims), so no worker asks SendGrid again at every poll meanwhile."""
    if cursor_before is None:
        batch.status = "resend"
        session.execute(
            update(Delivery)
            .where(Delivery.batch_id == batch.id, Delivery.status == "in_flight")
            .values(status="resend")
        )
    else:
        session.execute(delete(Delivery).where(Delivery.batch_id == batch.id))
        session.delete(batch)
        message.audience_cursor = cursor_before
    release(message)
    if retry_after:
        message.lease_until = ctx.clock() + timedelta(seconds=retry_after)
    log.info("message %s: batch %s was not sent; it goes out at a later poll", message.id, batch.number)
    session.commit()
    return "stopped"


def _record_failure(
    session: Session, message: Message, batch: SendBatch, error: EmailSendError, ctx: WorkerContext
) -> str:
    if error.permanent:
        _finish_batch(session, message, batch, "failed", ctx.clock(), error=str(error))
        message.status, message.error = "failed", str(error)
        release(message)
        audit.record(session, "message:failed", campaign=message.campaign, detail=f"message {message.id}: {error}")
        session.commit()
        return "failed"
    _finish_batch(session, message, batch, "uncertain", ctx.clock(), error=str(error))
    message.status = "uncertain"
    message.error = (
        f"Stopped at batch {batch.number}: {error} Resend that batch or mark it delivered on the campaign page; "
        "the rest of the audience goes out after that."
    )
    release(message)
    audit.record(
        session,
        "batches:uncertain",
        campaign=message.campaign,
        detail=f"message {message.id}: batch {batch.number} stopped the send: {error}",
    )
    session.commit()
    return "uncertain"


def _next_resend(session: Session, message: Message) -> SendBatch | None:
    return session.scalar(
        select(SendBatch)
        .where(SendBatch.message_id == message.id, SendBatch.status == "resend")
        .order_by(SendBatch.number)
        .limit(1)
    )


def _start_resend(session: Session, message: Message, batch: SendBatch, now: datetime) -> list:
    """Put a batch a person asked to resend back in flight, for those of its recipients still in the audience;
    the others are skipped (they left, or were suppressed, since). Returns the rows to send to."""
    topics = message.campaign.topics or []
    rows = list(
        session.execute(
            select(Subscriber.id, Subscriber.public_id, Subscriber.email, Subscriber.first_name)
            .join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .where(
                Delivery.batch_id == batch.id,
                Delivery.status == "resend",
                Subscriber.status == "confirmed",
                exists().where(SubscriberTopic.subscriber_id == Subscriber.id, SubscriberTopic.topic.in_(topics)),
                ~exists().where(Suppression.email_hash == Subscriber.email_hash),
            )
            .order_by(Subscriber.id)
        )
    )
    session.execute(
        update(Delivery)
        .where(
            Delivery.batch_id == batch.id,
            Delivery.status == "resend",
            Delivery.subscriber_id.not_in([row.id for row in rows]),
        )
        .values(status="skipped", error="No longer in the audience when the batch was resent.", updated_at=now)
    )
    session.execute(
        update(Delivery)
        .where(Delivery.batch_id == batch.id, Delivery.status == "resend")
        .values(status="in_flight", updated_at=now)
    )
    batch.status, batch.recipient_count, batch.started_at, batch.finished_at = "in_flight", len(rows), now, None
    return rows


def send_email_message(session: Session, message: Message, ctx: WorkerContext) -> str:
    """Send the message's remaining batches. Returns the message's status when this worker stops working on it."""
    problem = send_time_problem(ctx.config)
    if problem:
        return _refuse(session, message, problem)
    mark_abandoned_batches_uncertain(session, message)
    session.commit()
    with _loaded_objects_kept(session):
        return _send_remaining(session, message, ctx)


def _send_remaining(session: Session, message: Message, ctx: WorkerContext) -> str:
    email = outgoing_email_for(message.campaign, message.snippet, ctx, message.id)
    batch_size = max(1, min(int(ctx.config["EMAIL_BATCH_SIZE"]), MAX_BATCH_SIZE))
    while True:
        stop = _stop_reason(session, message, ctx)
        if stop:
            return stop
        batch, cursor_before = _next_resend(session, message), None
        if batch is not None:
            rows = _start_resend(session, message, batch, ctx.clock())
            audit.record(session, "batch:resending", campaign=message.campaign, detail=_batch_detail(message, batch))
        else:
            # A message reopened only to resend a batch had already walked its whole audience.
            rows = (
                []
                if message.finished_at is not None
                else audience_batch(
                    session, message.campaign.topics, after_id=message.audience_cursor, limit=batch_size
                )
            )
            if not rows:
                message.status, message.finished_at, message.error = "sent", ctx.clock(), None
                release(message)
                session.commit()
                return "sent"
            cursor_before = message.audience_cursor
            batch = _start_batch(session, message, rows, ctx.clock())
        session.commit()
        outcome = _send_batch(session, message, batch, rows, email, ctx, cursor_before)
        if outcome:
            return outcome


def _refuse(session: Session, message: Message, problem: str) -> str:
    """Fail the message before anything is sent (settings that must not reach readers, changed since approval)."""
    message.status, message.error = "failed", problem
    release(message)
    audit.record(session, "message:failed", campaign=message.campaign, detail=f"message {message.id}: {problem}")
    session.commit()
    return "failed"


@contextmanager
def _loaded_objects_kept(session: Session) -> Iterator[None]:
    """Commit without expiring loaded objects while this worker sends.

    A send commits twice a batch; after each commit every loaded object (message, campaign, batch) would be read
    again, a dozen round trips a batch. The message and its batches are this worker's while it holds the lease; what
    others may change is read fresh (the campaign's status) or changed in SQL (the sent count). Everything is
    expired again at the end, so the caller reads the database's values.
    """
    target = session() if isinstance(session, scoped_session) else session
    expire_on_commit = target.expire_on_commit
    target.expire_on_commit = False
    try:
        yield
    finally:
        target.expire_on_commit = expire_on_commit
        target.expire_all()


def _batch_detail(message: Message, batch: SendBatch) -> str:
    return f"message {message.id}: batch {batch.number} ({batch.recipient_count} recipients)"


def _with_batch_id(email: OutgoingEmail, batch: SendBatch) -> OutgoingEmail:
    return OutgoingEmail(
        subject=email.subject,
        html=email.html,
        text=email.text,
        headers=email.headers,
        categories=email.categories,
        custom_args={**email.custom_args, "batch_id": str(batch.id)},
    )
