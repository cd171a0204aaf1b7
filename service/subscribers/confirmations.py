"""Confirmation emails the signup page could not send (the channel was down then): the worker sends them later.

The page tells everyone "check your email" whatever happened (no enumeration), so a signup whose email failed would
otherwise wait for nothing. A signup is picked up once the page has surely finished with it, and only while a
confirmation is still expected.
"""

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from service.channels.email.base import EmailChannel, EmailSendError
from service.models import Subscriber, Suppression
from service.rendering.clinic import ClinicInfo
from service.subscribers.addresses import redact_addresses
from service.subscribers.mail import confirmation_email, send_to
from service.subscribers.signup import confirmation_sent
from service.subscribers.suppressions import LIFTABLE_REASONS

log = logging.getLogger(__name__)

# The signup page is done with a signup well before this (its own send gives up within seconds).
SETTLED_AFTER = timedelta(minutes=2)
# Past this, an email out of the blue would surprise more than help; the person can sign up again.
EXPECTED_FOR = timedelta(days=1)
BATCH = 100


def unsent_confirmations(session: Session, now: datetime, limit: int = BATCH) -> list[Subscriber]:
    """Pending signups whose latest request got no confirmation email, oldest first."""
    blocked = exists().where(
        Suppression.email_hash == Subscriber.email_hash, Suppression.reason.not_in(LIFTABLE_REASONS)
    )
    return list(
        session.scalars(
            select(Subscriber)
            .where(
                Subscriber.status == "pending",
                Subscriber.consent_at <= now - SETTLED_AFTER,
                Subscriber.consent_at > now - EXPECTED_FOR,
                or_(Subscriber.confirmation_sent_at.is_(None), Subscriber.confirmation_sent_at < Subscriber.consent_at),
                ~blocked,
            )
            .order_by(Subscriber.id)
            .limit(limit)
        )
    )


def send_unsent_confirmations(session: Session, channel: EmailChannel, config: Mapping, now: datetime) -> int:
    """Send what the page could not; stop at the first failure (the channel is still down: the next run tries).
    Each send is committed on its own. Returns how many went out."""
    clinic, secret_key = ClinicInfo.from_config(config), config["SECRET_KEY"]
    sent = 0
    for subscriber in unsent_confirmations(session, now):
        email = confirmation_email(subscriber, clinic, secret_key, max_age_days=config["CONFIRM_TOKEN_MAX_AGE_DAYS"])
        try:
            send_to(channel, email, subscriber)
        except EmailSendError as error:
            log.warning(
                "confirmation for subscriber #%s still not sent: %s", subscriber.id, redact_addresses(str(error))
            )
            break
        confirmation_sent(subscriber, now)
        session.commit()
        sent += 1
    if sent:
        log.info("sent %s confirmation email(s) the signup page could not", sent)
    return sent
