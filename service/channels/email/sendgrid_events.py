"""SendGrid's signed event webhook: checking a request is SendGrid's, and recording what its events say.

Verification (`verify_request`): the ECDSA P-256 signature in X-Twilio-Email-Event-Webhook-Signature covers the
timestamp header followed by the raw body, byte for byte (never re-serialised JSON); the sendgrid package's
EventWebhook checks it. That helper ignores the timestamp's age, so a captured request could be replayed for ever:
requests whose timestamp is further than `max_age_seconds` from now are refused too.

Recording (`record_events`): each event is kept once, by its sg_event_id (SendGrid retries deliveries, and a replay
inside the window carries the same ids). Bounces (except temporary "blocked" ones), drops, spam reports and
unsubscribes put the address on the suppression list; delivered/deferred/bounce move the delivery's status forward;
opens and clicks are kept only when the clinic has turned tracking on. No address is stored: events point at the
subscriber and delivery.
"""

import binascii
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sendgrid.helpers.eventwebhook import EventWebhook
from sendgrid.helpers.eventwebhook.eventwebhook_header import EventWebhookHeader
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.models import Delivery, EmailEvent, Message, Subscriber
from service.models.email_events import EMAIL_EVENT_KINDS
from service.subscribers.identity import email_hash
from service.subscribers.suppressions import LIFTABLE_REASONS, ensure_suppressed, suppression_for
from service.subscribers.unsubscribe import unsubscribe

log = logging.getLogger(__name__)

SIGNATURE_HEADER = EventWebhookHeader.SIGNATURE
TIMESTAMP_HEADER = EventWebhookHeader.TIMESTAMP
DEFAULT_MAX_AGE_SECONDS = 300

# Event -> the suppression reason it adds.
SUPPRESSING_EVENTS = {
    "bounce": "bounced",
    "dropped": "dropped",
    "spamreport": "complained",
    "unsubscribe": "unsubscribed",
    "group_unsubscribe": "unsubscribed",
}
TRACKING_EVENTS = ("open", "click")
# A delivery's status after it was sent only moves forward: a late "deferred" never undoes "delivered".
_DELIVERY_RANK = {"sent": 0, "deferred": 1, "delivered": 2, "blocked": 2, "bounced": 3, "dropped": 3}
_DELIVERY_STATUS_FOR = {"delivered": "delivered", "deferred": "deferred", "bounce": "bounced", "dropped": "dropped"}


class WebhookRefused(Exception):
    """The request is not provably SendGrid's, or is too old or too new; the reason is for the log only."""


def verify_request(
    body: bytes, headers: Mapping[str, str], *, public_key: str | None, now: float, max_age_seconds: int
) -> None:
    """Raise WebhookRefused unless `body` carries SendGrid's valid signature with a timestamp near `now`."""
    if not public_key:
        raise WebhookRefused("no SENDGRID_WEBHOOK_PUBLIC_KEY is configured")
    signature, timestamp = headers.get(SIGNATURE_HEADER), headers.get(TIMESTAMP_HEADER)
    if not signature or not timestamp:
        raise WebhookRefused("signature or timestamp header missing")
    try:
        signed_at = int(timestamp)
    except ValueError:
        raise WebhookRefused("timestamp is not a whole number of seconds") from None
    if abs(now - signed_at) > max_age_seconds:
        raise WebhookRefused(f"timestamp is {int(now - signed_at)}s from now (allowed: {max_age_seconds}s)")
    try:
        payload = body.decode("utf-8")
        # The helper signs (timestamp + payload).encode("utf-8"): for a UTF-8 body that is the raw bytes again.
        verifier = EventWebhook(public_key)
        valid = verifier.verify_signature(payload, signature, timestamp)
    except UnicodeDecodeError:
        raise WebhookRefused("body is not UTF-8") from None
    except (binascii.Error, ValueError, TypeError) as error:
        raise WebhookRefused(f"signature or key could not be read: {type(error).__name__}") from None
    if not valid:
        raise WebhookRefused("signature does not match")


@dataclass
class RecordResult:
    recorded: int = 0
    duplicates: int = 0
    ignored: int = 0


def record_events(session: Session, events: object, *, hash_key: str, tracking: bool, now: datetime) -> RecordResult:
    """Record a webhook payload (a JSON array of events) and apply its effects. Commits nothing.

    Raises ValueError when the payload is not a list of objects.
    """
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        raise ValueError("the payload must be a JSON array of event objects")
    result = RecordResult()
    for event in events:
        outcome = _record(session, event, hash_key=hash_key, tracking=tracking, now=now)
        setattr(result, outcome, getattr(result, outcome) + 1)
    return result


def _record(session: Session, event: dict, *, hash_key: str, tracking: bool, now: datetime) -> str:
    sg_event_id, name = event.get("sg_event_id"), event.get("event")
    if not isinstance(sg_event_id, str) or not sg_event_id or name not in EMAIL_EVENT_KINDS:
        return "ignored"
    if name in TRACKING_EVENTS and not tracking:
        return "ignored"
    if session.scalar(select(EmailEvent.id).where(EmailEvent.sg_event_id == sg_event_id)) is not None:
        return "duplicates"
    address = event.get("email") if isinstance(event.get("email"), str) else None
    address_hash = email_hash(address, hash_key) if address else None
    subscriber = (
        session.scalar(select(Subscriber).where(Subscriber.email_hash == address_hash)) if address_hash else None
    )
    message_id = _message_id(session, event.get("message_id"))
    delivery = None
    if message_id is not None and subscriber is not None:
        delivery = session.scalar(
            select(Delivery).where(Delivery.message_id == message_id, Delivery.subscriber_id == subscriber.id)
        )
    kind = event.get("type") if name == "bounce" and isinstance(event.get("type"), str) else ""
    try:
        # A savepoint: a webhook delivered twice at once would otherwise fail the whole payload on the unique id.
        with session.begin_nested():
            session.add(
                EmailEvent(
                    sg_event_id=sg_event_id[:100],
                    event=name,
                    kind=kind[:30],
                    message_id=message_id,
                    delivery_id=delivery.id if delivery else None,
                    subscriber_id=subscriber.id if subscriber else None,
                    occurred_at=_occurred_at(event.get("timestamp")),
                    received_at=now,
                )
            )
    except IntegrityError:
        return "duplicates"
    blocked = name == "bounce" and kind == "blocked"
    if name in SUPPRESSING_EVENTS and address_hash and not blocked:
        _suppress(session, SUPPRESSING_EVENTS[name], address_hash, subscriber, now)
    if delivery is not None:
        _advance_delivery(delivery, "blocked" if blocked else _DELIVERY_STATUS_FOR.get(name), now)
    return "recorded"


def _message_id(session: Session, value: object) -> int | None:
    try:
        message_id = int(str(value))
    except ValueError:
        return None
    return message_id if session.get(Message, message_id) is not None else None


def _occurred_at(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _suppress(session: Session, reason: str, address_hash: str, subscriber: Subscriber | None, now: datetime) -> None:
    if reason == "unsubscribed" and subscriber is not None:
        unsubscribe(session, subscriber, now)
        return
    existing = suppression_for(session, address_hash)
    # A bounce or complaint outranks an unsubscribe (which its owner could lift); nothing outranks an erasure.
    overrule = existing is not None and existing.reason in LIFTABLE_REASONS and reason not in LIFTABLE_REASONS
    ensure_suppressed(session, address_hash, reason, overrule=overrule)
    if subscriber is not None:
        if reason == "complained":
            subscriber.status = "complained"
        elif reason == "bounced" and subscriber.status != "complained":
            subscriber.status = "bounced"


def _advance_delivery(delivery: Delivery, status: str | None, now: datetime) -> None:
    # Only deliveries known to be sent: an uncertain one keeps its flag for a person (its events count as evidence).
    if status is None or delivery.status not in _DELIVERY_RANK:
        return
    if _DELIVERY_RANK[status] >= _DELIVERY_RANK[delivery.status]:
        delivery.status, delivery.updated_at = status, now
