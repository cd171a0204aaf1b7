"""A message's event figures without counting its events: THE ONE PLACE with PostgreSQL-specific SQL for them
(triggers).

Each webhook request checks the deliverability guardrails of the messages it touched, and the campaign page and home
show their figures. Counted from the events, every request of a storm counted all that the requests before it had
recorded: a 100,000-recipient send brings 300,000 events in 300 requests, and by the last one each check took 80 ms,
more with every send's size. On PostgreSQL the database keeps `message_event_counts` in the same transaction as
whatever changes email events (the webhook, the unsubscribe links, erasures, deletes alike): each statement adds, per
message, event and kind it changed, one row of how many (negative for events removed).

Only inserted, never updated in place: an upserted row would stay locked until its transaction ends, and a webhook
request (events, then subscribers) and an unsubscribe (its subscriber, then its event) would then wait for each other
in opposite orders. A message's figure is the sum of its rows: one per event kind per request that brought some. The
worker folds them daily into one row per message, event and kind (`fold_event_counts`).

On SQLite (a small, single-host list) the events are counted directly.
"""

from sqlalchemy import DDL, event, text
from sqlalchemy.orm import Session

from service.extensions import db
from service.models import EmailEvent, MessageEventCount


def _deltas(events: str, delta: str) -> str:
    return f"SELECT e.message_id, e.event, e.kind, {delta} AS delta FROM {events} e WHERE e.message_id IS NOT NULL"


# A message being deleted sets its events' message_id to NULL (an UPDATE of them): its counts go with it, and
# nothing is added for it (the EXISTS).
_ADD_DELTAS = """
    INSERT INTO message_event_counts (message_id, event, kind, n)
    SELECT d.message_id, d.event, d.kind, sum(d.delta) FROM ({deltas}) AS d
    WHERE EXISTS (SELECT 1 FROM messages m WHERE m.id = d.message_id)
    GROUP BY d.message_id, d.event, d.kind HAVING sum(d.delta) <> 0;
"""
_EVENTS_CHANGED = _deltas("changed_events", "CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END")
# Most event updates only clear a reference (a delivery or subscriber deleted): only changed facts are read.
_EVENTS_MOVED = """
    (SELECT {side}.* FROM changed_to n JOIN changed_from o ON o.id = n.id
     WHERE (n.message_id, n.event, n.kind) IS DISTINCT FROM (o.message_id, o.event, o.kind))
"""
_EVENTS_UPDATED = (
    _deltas(_EVENTS_MOVED.format(side="n"), "1") + " UNION ALL " + _deltas(_EVENTS_MOVED.format(side="o"), "-1")
)

FUNCTIONS = ("message_event_counts_events_changed", "message_event_counts_events_updated")


def _function(name: str, deltas: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n{_ADD_DELTAS.format(deltas=deltas)}\n    RETURN NULL;\nEND $$;\n"
    )


def _statement_trigger(name: str, when: str, tables: str, function: str) -> str:
    return (
        f"DROP TRIGGER IF EXISTS {name} ON email_events;\n"
        f"CREATE TRIGGER {name} AFTER {when} ON email_events REFERENCING {tables}\n"
        f"    FOR EACH STATEMENT EXECUTE FUNCTION {function}();\n"
    )


# The functions and triggers, created with the schema (create_all); the migration that added the table keeps a copy.
TRIGGERS_SQL = (
    _function("message_event_counts_events_changed", _EVENTS_CHANGED)
    + _function("message_event_counts_events_updated", _EVENTS_UPDATED)
    + _statement_trigger(
        "message_event_counts_events_added",
        "INSERT",
        "NEW TABLE AS changed_events",
        "message_event_counts_events_changed",
    )
    + _statement_trigger(
        "message_event_counts_events_removed",
        "DELETE",
        "OLD TABLE AS changed_events",
        "message_event_counts_events_changed",
    )
    + _statement_trigger(
        "message_event_counts_events_updated",
        "UPDATE",
        "OLD TABLE AS changed_from NEW TABLE AS changed_to",
        "message_event_counts_events_updated",
    )
)

event.listen(db.metadata, "after_create", DDL(TRIGGERS_SQL).execute_if(dialect="postgresql"))


def event_source(session: Session):
    """What a message's figures are summed over, and each row's weight: the kept counts on PostgreSQL (each row its
    `n`), the events themselves elsewhere (each row one)."""
    if session.get_bind().dialect.name == "postgresql":
        return MessageEventCount, MessageEventCount.n
    return EmailEvent, 1


# Each row deleted by exactly one fold (a second fold at once waits for the first's deleted rows and then skips them),
# and the sum of what it deleted inserted: the figures stay the same, and rows added meanwhile stay as they are.
FOLD_SQL = """
WITH folded AS (
    DELETE FROM message_event_counts c WHERE (c.message_id, c.event, c.kind) IN (
        SELECT message_id, event, kind FROM message_event_counts GROUP BY message_id, event, kind HAVING count(*) > 1
    ) RETURNING c.message_id, c.event, c.kind, c.n
)
INSERT INTO message_event_counts (message_id, event, kind, n)
SELECT message_id, event, kind, sum(n) FROM folded GROUP BY message_id, event, kind HAVING sum(n) <> 0
"""


def fold_event_counts(session: Session) -> None:
    """The worker's daily job: fold each message's count rows into one per event and kind (so a message's figures
    sum a handful of rows however many requests brought its events); commits. Nothing to do on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(FOLD_SQL))
        session.commit()
