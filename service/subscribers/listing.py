"""The marketer's view of the list: counts by status, newest first in keyset pages, lookup by exact address.

Pages walk the primary key (or the (status, id) index) with `id < last seen id`, never OFFSET, so the thousandth
page costs what the first does, at a million subscribers as at ten.
"""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from service.models import Subscriber
from service.models.subscribers import SUBSCRIBER_STATUSES
from service.subscribers.addresses import parse_address
from service.subscribers.identity import email_hash
from service.subscribers.suppressions import suppression_for

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    subscribers: list[Subscriber]
    next_before: int | None  # pass as `before` for the next (older) page; None on the last page


def status_counts(session: Session) -> dict[str, int]:
    counts = dict.fromkeys(SUBSCRIBER_STATUSES, 0)
    for status, count in session.execute(select(Subscriber.status, func.count()).group_by(Subscriber.status)):
        counts[status] = count
    return counts


def page_of_subscribers(
    session: Session, *, status: str | None = None, before: int | None = None, size: int = PAGE_SIZE
) -> Page:
    query = select(Subscriber).options(selectinload(Subscriber.topic_links)).order_by(Subscriber.id.desc())
    if status:
        query = query.where(Subscriber.status == status)
    if before:
        query = query.where(Subscriber.id < before)
    rows = list(session.scalars(query.limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, rows[-1].id if more else None)


@dataclass(frozen=True)
class Lookup:
    subscriber: Subscriber | None
    suppression_reason: str | None


def find_by_address(session: Session, raw: str, hash_key: str) -> Lookup:
    """The subscriber with exactly this address (after normalising), and whether the address is suppressed.

    Raises AddressError for text that is not an address.
    """
    hashed = email_hash(parse_address(raw), hash_key)
    subscriber = session.scalar(select(Subscriber).where(Subscriber.email_hash == hashed))
    suppression = suppression_for(session, hashed)
    return Lookup(subscriber, suppression.reason if suppression else None)
