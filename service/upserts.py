"""Set-at-a-time SQL for the two databases we run on. THE ONE PLACE with dialect-specific SQL for them:
INSERT ... ON CONFLICT, arrays as parameters (sent to PostgreSQL in binary, see `send_lists_in_binary`).

PostgreSQL and SQLite both speak `ON CONFLICT (...) DO NOTHING / DO UPDATE ... WHERE`, but SQLAlchemy builds it with
each dialect's own `insert`; callers ask for the statement here and stay portable.
"""

from psycopg import Connection as PsycopgConnection
from psycopg.types.array import ListBinaryDumper
from sqlalchemy import ARRAY, Table, any_, bindparam, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session


def send_lists_in_binary(engine: Engine) -> None:
    """Make a PostgreSQL engine's connections send list parameters (the arrays below) in binary: psycopg writes a
    thousand-item array as text in Python, item by item and escaped, about a millisecond each time, and a webhook
    request or a send batch passes a dozen of them. Binary is several times quicker, and the same values arrive."""
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _send_lists_in_binary)


def _send_lists_in_binary(dbapi_connection, _connection_record) -> None:
    if isinstance(dbapi_connection, PsycopgConnection):
        dbapi_connection.adapters.register_dumper(list, ListBinaryDumper)


def insert_on_conflict(session: Session, table: Table):
    """An INSERT into `table` that has `on_conflict_do_nothing` and `on_conflict_do_update`, for the session's
    database."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def one_of(session: Session, column, values: list, item_type):
    """`column IN values`; on PostgreSQL as one array parameter (`= ANY(:values)`): a thousand separate parameters
    cost more to build and parse than the statement takes to run."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(item_type)))
    return column.in_(values)


def insert_ignoring_conflicts(session: Session, table: Table, rows: list[dict], *, key: str) -> set:
    """Insert `rows` (dicts with the same keys), skipping those whose `key` column is already taken (by an earlier
    row or by another transaction meanwhile). Returns the `key` values this call inserted.

    On PostgreSQL one statement over `unnest` of one array per column: a multi-row VALUES of a thousand rows is
    thousands of parameters for psycopg to parse and SQLAlchemy to process one by one, most of a webhook request's
    time. Elsewhere an executemany INSERT ... ON CONFLICT DO NOTHING RETURNING.
    """
    if not rows:
        return set()
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        statement = insert_on_conflict(session, table).on_conflict_do_nothing(index_elements=[table.c[key]])
        return set(session.scalars(statement.returning(table.c[key]), rows))
    names = list(rows[0])
    arrays, casts = {}, []
    for position, name in enumerate(names):
        column = table.c[name]
        process = column.type.bind_processor(dialect)
        values = [row[name] for row in rows]
        arrays[f"column_{position}"] = [process(value) for value in values] if process else values
        casts.append(f"CAST(:column_{position} AS {column.type.compile(dialect)}[])")
    statement = text(
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({', '.join(casts)}) "
        f"ON CONFLICT ({key}) DO NOTHING RETURNING {key}"
    )
    return set(session.scalars(statement, arrays))
