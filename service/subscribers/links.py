"""The links in subscriber emails, and reading them back.

A link carries a signed token with the subscriber's id and a purpose, never an address. A token made before the
state it would act on is refused: a confirmation link from before a newer signup request, or any link made before
its subscriber row existed (an id SQLite handed out again after an erasure belongs to someone else).
"""

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from service.models import Subscriber
from service.outgoing.links import unsubscribe_url
from service.rendering.clinic import ClinicInfo
from service.subscribers.tokens import SigningKeys, TokenError, make_token, read_token_issued

# Unsubscribe links in newsletters are made by the worker, whose clock may differ a little from the web host's;
# refusing a real unsubscribe would be far worse than the rare reused id this check is for.
UNSUBSCRIBE_CLOCK_LEEWAY = timedelta(days=1)

__all__ = ["confirm_url", "preferences_url", "subscriber_for", "unsubscribe_url"]


def confirm_url(clinic: ClinicInfo, secret_key: str, subscriber_id: int) -> str:
    return f"{clinic.public_base_url}/confirm/{make_token(secret_key, 'confirm', subscriber_id)}"


def preferences_url(clinic: ClinicInfo, secret_key: str, subscriber_id: int) -> str:
    return f"{clinic.public_base_url}/preferences/{make_token(secret_key, 'preferences', subscriber_id)}"


def _whole_second(instant: datetime) -> datetime:
    # Token timestamps are whole seconds.
    return instant.replace(microsecond=0)


def subscriber_for(
    session: Session, secret_key: SigningKeys, purpose: str, token: str, *, max_age_seconds: int | None = None
) -> Subscriber | None:
    """The subscriber a link is for, or None if they no longer exist (erased). TokenError for a bad link.

    Confirmation links must be newer than the signup request they confirm (TokenError otherwise).
    """
    subscriber_id, issued = read_token_issued(secret_key, purpose, token, max_age_seconds)
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        return None
    leeway = UNSUBSCRIBE_CLOCK_LEEWAY if purpose == "unsubscribe" else timedelta(0)
    if issued + leeway < _whole_second(subscriber.created_at):
        return None
    if purpose == "confirm" and issued < _whole_second(subscriber.consent_at or subscriber.created_at):
        raise TokenError("This link was replaced by a newer one.")
    return subscriber
