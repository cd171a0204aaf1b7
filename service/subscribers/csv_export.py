"""Exporting confirmed subscribers as CSV, streamed in keyset chunks (memory stays flat at any list size).

The columns are the import's, so an export can be imported elsewhere (or back), plus the consent record.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import Subscriber, SubscriberTopic
from service.subscribers.audience_counts import kept_status_counts

HEADER = ("email", "first_name", "topics", "consent_date", "consent_source", "consent_channel", "confirmed_at")
CHUNK_SIZE = 5000
# A cell starting with one of these is a formula to a spreadsheet program: never let a name run as one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _iso(instant) -> str:
    return instant.isoformat(timespec="seconds") if instant else ""


def confirmed_rows(session: Session) -> Iterator[tuple[str, ...]]:
    """Plain rows, not ORM objects: a million of them must not pile up in the session."""
    last_id = 0
    while True:
        chunk = session.execute(
            select(
                Subscriber.id,
                Subscriber.email,
                Subscriber.first_name,
                Subscriber.consent_at,
                Subscriber.consent_note,
                Subscriber.consent_source,
                Subscriber.confirmed_at,
            )
            .where(Subscriber.status == "confirmed", Subscriber.id > last_id)
            .order_by(Subscriber.id)
            .limit(CHUNK_SIZE)
        ).all()
        if not chunk:
            return
        topics: dict[int, list[str]] = defaultdict(list)
        for subscriber_id, topic in session.execute(
            select(SubscriberTopic.subscriber_id, SubscriberTopic.topic)
            # The chunk's id range, not a list of its ids: one index range scan, and no thousands of parameters.
            .where(SubscriberTopic.subscriber_id.between(chunk[0].id, chunk[-1].id))
            .order_by(SubscriberTopic.subscriber_id, SubscriberTopic.topic)
        ):
            topics[subscriber_id].append(topic)
        for row in chunk:
            yield (
                _cell(row.email),
                _cell(row.first_name or ""),
                " ".join(topics[row.id]),
                _iso(row.consent_at),
                _cell(row.consent_note or row.consent_source or ""),
                row.consent_source or "",
                _iso(row.confirmed_at),
            )
        last_id = chunk[-1].id


def csv_chunks(session: Session) -> Iterator[str]:
    """The export as text pieces: the header, then one piece per CHUNK_SIZE subscribers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for count, row in enumerate(confirmed_rows(session), 1):
        writer.writerow(row)
        if count % CHUNK_SIZE == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def confirmed_count(session: Session) -> int:
    kept = kept_status_counts(session)
    if kept is not None:
        return kept.get("confirmed", 0)
    return session.scalar(select(func.count()).where(Subscriber.status == "confirmed")) or 0
