"""Bulk inserts for imports. THE ONE PLACE with PostgreSQL-specific code in subscribers: COPY on psycopg.

Multi-row INSERTs cost psycopg a client-side parse of thousands of placeholders per statement, which made a
100,000-row import take minutes; COPY streams the rows in the same transaction in about a second. Every other
database gets a plain executemany INSERT (SQLite's runs in C).
"""

from collections.abc import Sequence

import psycopg
from sqlalchemy import Table, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: Table, rows: Sequence[dict]) -> None:
    """Insert `rows` (dicts with the same keys) into `table` in the session's transaction. Returns nothing:
    callers that need generated ids select them by a unique column afterwards."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg":
        session.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    # Our column types (UTCDateTime) turn values into what the database stores; COPY bypasses them, so apply them.
    converters = [(name, table.c[name].type.bind_processor(dialect)) for name in columns]
    raw = connection.connection.driver_connection
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([process(row[name]) if process else row[name] for name, process in converters])
    except psycopg.errors.IntegrityError as error:
        # The error SQLAlchemy raises for an INSERT, so callers handle one kind. Its DETAIL may quote a value (an
        # address): callers catch it and never log it.
        raise IntegrityError(statement, None, error) from None
