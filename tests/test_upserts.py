"""Set-at-a-time SQL on both databases: array parameters (binary on PostgreSQL) arrive exactly as given."""

from datetime import UTC, datetime

from psycopg.adapt import PyFormat
from psycopg.types.array import ListBinaryDumper
from sqlalchemy import Integer, String, select

from service.extensions import db
from service.models import EmailEvent, Subscriber
from service.subscribers.identity import email_hash
from service.upserts import insert_ignoring_conflicts, one_of

AWKWARD = ['with "quotes"', "comma, and {braces}", "back\\slash", "NULL", "", "é ünïcode"]


def test_array_parameters_arrive_exactly_as_given(app):
    now = datetime.now(UTC)
    rows = [
        {
            "sg_event_id": text,
            "event": "delivered",
            "kind": "",
            "message_id": None,
            "occurred_at": None,
            "received_at": now,
        }
        for text in AWKWARD
    ]
    assert insert_ignoring_conflicts(db.session, EmailEvent.__table__, rows, key="sg_event_id") == set(AWKWARD)
    assert insert_ignoring_conflicts(db.session, EmailEvent.__table__, rows[:2], key="sg_event_id") == set()
    found = db.session.scalars(
        select(EmailEvent.sg_event_id).where(one_of(db.session, EmailEvent.sg_event_id, AWKWARD, String))
    )
    assert set(found) == set(AWKWARD)
    stored = db.session.scalars(select(EmailEvent.received_at)).all()
    assert stored == [now] * len(AWKWARD), "times arrive as the UTC instants given"


def test_integer_arrays_of_any_size_and_none(app):
    people = [
        Subscriber(
            email=f"p{n}@example.org",
            email_hash=email_hash(f"p{n}@example.org", "k"),
            first_name="",
            status="confirmed",
        )
        for n in range(3)
    ]
    db.session.add_all(people)
    db.session.commit()
    ids = [person.id for person in people]
    wanted = [ids[0], ids[2], 70_000]  # past a smallint: the array is sent as integers, not as int2
    assert set(db.session.scalars(select(Subscriber.id).where(one_of(db.session, Subscriber.id, wanted, Integer)))) == {
        ids[0],
        ids[2],
    }
    assert list(db.session.scalars(select(Subscriber.id).where(one_of(db.session, Subscriber.id, [], Integer)))) == []


def test_postgresql_connections_send_lists_in_binary(app):
    connection = db.session.connection().connection.dbapi_connection
    if db.engine.dialect.name == "postgresql":
        assert connection.adapters.get_dumper(list, PyFormat.AUTO) is ListBinaryDumper
