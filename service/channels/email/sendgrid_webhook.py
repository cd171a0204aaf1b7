"""SendGrid's signed event webhook: checking a request is SendGrid's (what its events do: service/email_events.py).

`verify_request`: the ECDSA P-256 signature in X-Twilio-Email-Event-Webhook-Signature covers the
timestamp header followed by the raw body, byte for byte (never re-serialised JSON); the sendgrid package's
EventWebhook checks it. That helper ignores the timestamp's age, so a captured request could be replayed for ever:
requests whose timestamp is further than `max_age_seconds` from now are refused too.
"""

import binascii
from collections.abc import Mapping

from sendgrid.helpers.eventwebhook import EventWebhook
from sendgrid.helpers.eventwebhook.eventwebhook_header import EventWebhookHeader

SIGNATURE_HEADER = EventWebhookHeader.SIGNATURE
TIMESTAMP_HEADER = EventWebhookHeader.TIMESTAMP
DEFAULT_MAX_AGE_SECONDS = 300


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
