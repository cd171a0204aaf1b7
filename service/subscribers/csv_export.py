"""Exporting confirmed subscribers as CSV, streamed in keyset chunks (memory stays flat at any list size).

The columns are the import's, so an export can be imported elsewhere (or back), plus the consent record.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Iterator

from sqlalchemy import DateTime, func, select, type_coerce
from sqlalchemy.orm import Session

from service.models import Subscriber, SubscriberTopic
from service.subscribers.audience_counts import kept_status_counts

HEADER = ("email", "first_name", "topics", "consent_date", "consent_source", "consent_channel", "confirmed_at")
CHUNK_SIZE = 5000
# A cell starting with one of these is a formula to a spreadsheet program: never let a name run as one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _iso(naive_utc) -> str:
    # What isoformat gives the aware UTC value, without building one per cell.
    return f"{naive_utc.isoformat(timespec='seconds')}+00:00" if naive_utc else ""


def _as_stored(column):
    """A UTC time as the database holds it (naive): UTCDateTime's conversion of every value read is a third of an
    export's time."""
    return type_coerce(column, DateTime())


def confirmed_chunks(session: Session) -> Iterator[list[tuple[str, ...]]]:
    """The confirmed subscribers' CSV rows, CHUNK_SIZE at a time (keyset pages, so memory stays flat at any size).

    Core rows of plain values, not ORM objects or entities: a million of them must neither pile up in the session
    nor each pass through the ORM's loading."""
    people, their_topics = Subscriber.__table__.c, SubscriberTopic.__table__.c
    connection = session.connection()
    last_id = 0
    while True:
        chunk = connection.execute(
            select(
                people.id,
                people.email,
                people.first_name,
                _as_stored(people.consent_at),
                people.consent_note,
                people.consent_source,
                _as_stored(people.confirmed_at),
            )
            .where(people.status == "confirmed", people.id > last_id)
            .order_by(people.id)
            .limit(CHUNK_SIZE)
        ).all()
        if not chunk:
            return
        topics: dict[int, list[str]] = defaultdict(list)
        for subscriber_id, topic in connection.execute(
            select(their_topics.subscriber_id, their_topics.topic)
            # The chunk's id range, not a list of its ids: one index range scan, and no thousands of parameters.
            .where(their_topics.subscriber_id.between(chunk[0][0], chunk[-1][0]))
            .order_by(their_topics.subscriber_id, their_topics.topic)
        ):
            topics[subscriber_id].append(topic)
        yield [
            (
                _cell(email),
                _cell(first_name or ""),
                " ".join(topics[subscriber_id]),
                _iso(consent_at),
                _cell(note or source or ""),
                source or "",
                _iso(confirmed_at),
            )
            for subscriber_id, email, first_name, consent_at, note, source, confirmed_at in chunk
        ]
        last_id = chunk[-1][0]


def csv_chunks(session: Session) -> Iterator[str]:
    """The export as text pieces: the header, then one piece per CHUNK_SIZE subscribers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    yield buffer.getvalue()
    for rows in confirmed_chunks(session):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(rows)
        yield buffer.getvalue()


def confirmed_count(session: Session) -> int:
    kept = kept_status_counts(session)
    if kept is not None:
        return kept.get("confirmed", 0)
    return session.scalar(select(func.count()).where(Subscriber.status == "confirmed")) or 0
