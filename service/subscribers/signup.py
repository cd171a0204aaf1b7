"""Signing up (double opt-in), confirming, and the consent record each subscriber carries.

A signup never says whether the address was known: every outcome looks the same to the person who typed it. Only
the mailbox's owner learns more, from the email that arrives (a confirmation link, or a note that they are already
subscribed with a link to their preferences), and nothing arrives for a suppressed address.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Subscriber, SubscriberTopic
from service.subscribers.addresses import AddressError, parse_address
from service.subscribers.identity import email_hash
from service.subscribers.suppressions import blocks_signup, lift_for_owner, suppression_for
from service.subscribers.topics import unknown_topics

SOURCES = ("form", "api", "import")
FIRST_NAME_MAX = 100
# However often a signup form is submitted for one address, its owner gets at most one email per interval.
RESEND_INTERVAL = timedelta(minutes=10)


class SignupInputError(ValueError):
    """What was typed cannot be used; `errors` maps field names to messages (which never repeat the address)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class SignupInput:
    email: str
    first_name: str = ""
    topics: tuple[str, ...] = ()
    source: str = "form"


class Mail(Enum):
    NONE = "none"
    CONFIRM = "confirm"
    ALREADY_SUBSCRIBED = "already_subscribed"


@dataclass(frozen=True)
class SignupOutcome:
    """Whom to email, and which email. `subscriber` is None when nothing is to be sent."""

    mail: Mail
    subscriber: Subscriber | None = None


NOTHING = SignupOutcome(Mail.NONE)


def clean_first_name(raw: str | None) -> str:
    # One line, single spaces: the name goes into greetings, never into headers, but keep it tidy anyway.
    return " ".join((raw or "").split())


def checked_input(data: SignupInput, known_topics: list[str]) -> tuple[str, str, list[str]]:
    """(address, first name, topics) ready to store, or SignupInputError naming each bad field."""
    errors: dict[str, str] = {}
    address = ""
    try:
        address = parse_address(data.email)
    except AddressError as error:
        errors["email"] = str(error)
    first_name = clean_first_name(data.first_name)
    if len(first_name) > FIRST_NAME_MAX:
        errors["first_name"] = f"Please keep the first name under {FIRST_NAME_MAX} characters."
    topics = sorted(set(data.topics))
    if not topics:
        errors["topics"] = "Choose at least one topic."
    elif unknown_topics(topics, known_topics):
        errors["topics"] = "Choose topics from the list."
    if data.source not in SOURCES:
        raise ValueError(f"unknown consent source {data.source!r}")
    if errors:
        raise SignupInputError(errors)
    return address, first_name, topics


def request_signup(
    session: Session, data: SignupInput, *, known_topics: list[str], hash_key: str, now: datetime
) -> SignupOutcome:
    """Record a signup request; the caller commits, sends the outcome's email, then calls `confirmation_sent`.

    New or previously unsubscribed addresses become pending with a fresh consent record; a pending one gets its
    topics replaced and a new link; a confirmed one is left as it is (a stranger must not change someone's topics)
    and its owner is told they are already subscribed; bounced, complained and erased addresses get nothing.
    """
    address, first_name, topics = checked_input(data, known_topics)
    hashed = email_hash(address, hash_key)
    if blocks_signup(suppression_for(session, hashed)):
        return NOTHING
    subscriber = session.scalar(select(Subscriber).where(Subscriber.email_hash == hashed))
    if subscriber is None:
        subscriber = Subscriber(email=address, email_hash=hashed, status="pending", created_at=now)
        session.add(subscriber)
    elif subscriber.status in ("bounced", "complained") or _recently_mailed(subscriber, now):
        return NOTHING
    elif subscriber.status == "confirmed":
        return SignupOutcome(Mail.ALREADY_SUBSCRIBED, subscriber)
    subscriber.status = "pending"
    if first_name:
        subscriber.first_name = first_name
    set_topics(subscriber, topics)
    # The consent being asked for is this request's; links sent for earlier requests stop working.
    subscriber.consent_at = now
    subscriber.consent_source = data.source
    subscriber.consent_note = None
    subscriber.confirmed_at = None
    session.flush()
    return SignupOutcome(Mail.CONFIRM, subscriber)


def set_topics(subscriber: Subscriber, topics: list[str]) -> None:
    """Replace the subscriber's topics, keeping the rows that stay (no delete and re-insert of the same key)."""
    wanted = set(topics)
    subscriber.topic_links = [link for link in subscriber.topic_links if link.topic in wanted]
    have = {link.topic for link in subscriber.topic_links}
    subscriber.topic_links.extend(SubscriberTopic(topic=topic) for topic in sorted(wanted - have))


def _recently_mailed(subscriber: Subscriber, now: datetime) -> bool:
    sent = subscriber.confirmation_sent_at
    return sent is not None and now - sent < RESEND_INTERVAL


def confirmation_sent(subscriber: Subscriber, now: datetime) -> None:
    subscriber.confirmation_sent_at = now


class ConfirmError(ValueError):
    """The confirmation cannot be accepted (the person unsubscribed since, or the address is suppressed)."""


def confirm(session: Session, subscriber: Subscriber, now: datetime) -> bool:
    """Confirm a pending subscriber: from now on they are in audiences. True if this call confirmed them.

    Confirming again is harmless (False). The caller has already checked the link (see links.subscriber_for).
    """
    if subscriber.status == "confirmed":
        return False
    if subscriber.status != "pending" or blocks_signup(suppression_for(session, subscriber.email_hash)):
        raise ConfirmError("This confirmation link is no longer valid.")
    subscriber.status = "confirmed"
    subscriber.confirmed_at = now
    subscriber.unsubscribed_at = None
    lift_for_owner(session, subscriber.email_hash)
    return True
