"""List growth without counting the list: THE ONE PLACE with PostgreSQL-specific SQL for it (triggers).

On PostgreSQL the database keeps `growth_counts` (per UTC quarter hour: signups, confirmations and unsubscribes by
source and by topic, and bounces and complaints) in the same transaction as whatever changes subscribers, their topics
or email events: the ORM, bulk COPY imports, the webhook's set-wise updates, purges and erasures alike, so no code path
can forget it. Statement-level triggers with transition tables keep a bulk import one set operation, not a row at a
time; rows are added to in key order, so two transactions take their row locks in the same order. The weeks shown are
then sums over a few thousand buckets, where grouping a million subscribers by week took over a second.

The rules are list_growth's own: an empty or missing source counts as "form"; a subscriber's instants count once for
each topic they have now; a "blocked" bounce is a temporary refusal, not a lost address.

On SQLite (a small, single-host list) list_growth counts directly.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import DDL, event, func, select
from sqlalchemy.orm import Session

from service.extensions import db
from service.models import GrowthCount

_BUCKET = "date_trunc('hour', {0}) + floor(date_part('minute', {0}) / 15) * interval '15 minutes'"
_SOURCE = "coalesce(nullif({row}.consent_source, ''), 'form')"
# A subscriber row's instants, one row per measure (the names are growth.MEASURES').
_INSTANTS = """CROSS JOIN LATERAL (VALUES
    ('signups', {row}.created_at), ('confirmations', {row}.confirmed_at), ('unsubscribes', {row}.unsubscribed_at)
) AS i(measure, instant)"""


def _subscriber_deltas(rows: str, *, topics: bool) -> str:
    """(bucket, measure, dimension, key, delta) for `rows` of (id, created_at, confirmed_at, unsubscribed_at, source,
    delta): by source, and by each topic the subscriber has now when `topics`."""
    by_source = (
        f"SELECT {_BUCKET.format('i.instant')} AS bucket, i.measure, 'source' AS dimension, r.source AS key, r.delta "
        f"FROM ({rows}) AS r {_INSTANTS.format(row='r')} WHERE i.instant IS NOT NULL"
    )
    if not topics:
        return by_source
    return (
        f"{by_source} UNION ALL "
        f"SELECT {_BUCKET.format('i.instant')}, i.measure, 'topic', t.topic, r.delta FROM ({rows}) AS r "
        f"JOIN subscriber_topics t ON t.subscriber_id = r.id {_INSTANTS.format(row='r')} WHERE i.instant IS NOT NULL"
    )


def _rows(table: str, delta: str) -> str:
    return (
        f"SELECT s.id, s.created_at, s.confirmed_at, s.unsubscribed_at, {_SOURCE.format(row='s')} AS source, "
        f"{delta} AS delta FROM {table} s"
    )


def _event_deltas(events: str, delta: str) -> str:
    return (
        f"SELECT {_BUCKET.format('e.occurred_at')} AS bucket, "
        "CASE WHEN e.event = 'bounce' THEN 'bounces' ELSE 'complaints' END AS measure, 'total' AS dimension, "
        f"'' AS key, {delta} AS delta FROM {events} e "
        "WHERE e.event IN ('bounce', 'spamreport') AND e.occurred_at IS NOT NULL "
        "AND (e.event <> 'bounce' OR e.kind IS DISTINCT FROM 'blocked')"
    )


_ADD_DELTAS = """
    INSERT INTO growth_counts (bucket, measure, dimension, key, n)
    SELECT bucket, measure, dimension, key, sum(delta) FROM ({deltas}) AS deltas
    GROUP BY bucket, measure, dimension, key HAVING sum(delta) <> 0 ORDER BY bucket, measure, dimension, key
    ON CONFLICT (bucket, measure, dimension, key) DO UPDATE SET n = growth_counts.n + excluded.n;
"""

# A new subscriber has no topics yet (their rows reference it): the topics' own trigger counts those.
_INSERTED = _subscriber_deltas(_rows("added", "1"), topics=False)
# Subscribers whose instants or source an UPDATE changed, as they are (+1) and as they were (-1); most updates (a
# status, a name) change none, and then add nothing.
_UPDATED = """
    WITH moved AS MATERIALIZED (
        SELECT x.* FROM changed_to n JOIN changed_from o ON o.id = n.id
        CROSS JOIN LATERAL (VALUES
            (n.id, n.created_at, n.confirmed_at, n.unsubscribed_at, {new_source}, 1),
            (o.id, o.created_at, o.confirmed_at, o.unsubscribed_at, {old_source}, -1)
        ) AS x(id, created_at, confirmed_at, unsubscribed_at, source, delta)
        WHERE (n.created_at, n.confirmed_at, n.unsubscribed_at, {new_source})
            IS DISTINCT FROM (o.created_at, o.confirmed_at, o.unsubscribed_at, {old_source})
    )
    {deltas}
""".format(
    new_source=_SOURCE.format(row="n"),
    old_source=_SOURCE.format(row="o"),
    deltas=_subscriber_deltas("SELECT * FROM moved", topics=True),
)
# Before each row's delete, while its topics are still there (the cascade removes them after, and the topics'
# trigger then finds no subscriber to count).
_DELETED = _subscriber_deltas(
    "SELECT OLD.id AS id, OLD.created_at AS created_at, OLD.confirmed_at AS confirmed_at, "
    f"OLD.unsubscribed_at AS unsubscribed_at, {_SOURCE.format(row='OLD')} AS source, -1 AS delta",
    topics=True,
)


def _topic_deltas(topics: str, delta: str) -> str:
    """Each topic row added or removed counts its subscriber's instants under that topic."""
    return (
        f"SELECT {_BUCKET.format('i.instant')} AS bucket, i.measure, 'topic' AS dimension, c.topic AS key, "
        f"{delta} AS delta FROM {topics} c JOIN subscribers s ON s.id = c.subscriber_id {_INSTANTS.format(row='s')} "
        "WHERE i.instant IS NOT NULL"
    )


_TOPICS_CHANGED = _topic_deltas("changed_topics", "CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END")
_TOPICS_UPDATED = _topic_deltas("changed_to", "1") + " UNION ALL " + _topic_deltas("changed_from", "-1")
_EVENTS_CHANGED = _event_deltas("changed_events", "CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END")
# Most event updates only clear a reference (a message or subscriber deleted): only changed facts are read.
_EVENTS_MOVED = """
    (SELECT {side}.* FROM changed_to n JOIN changed_from o ON o.id = n.id
     WHERE (n.event, n.kind, n.occurred_at) IS DISTINCT FROM (o.event, o.kind, o.occurred_at))
"""
_EVENTS_UPDATED = (
    _event_deltas(_EVENTS_MOVED.format(side="n"), "1")
    + " UNION ALL "
    + _event_deltas(_EVENTS_MOVED.format(side="o"), "-1")
)


# A topic counts its subscriber's instants as they are now: a transaction changing them at the same time must have
# committed first (its trigger did not see this topic), or wait until this one has (its trigger will). The foreign
# key's lock does not make an UPDATE wait; a share lock does, and the statement after it sees what was committed.
_LOCK_SUBSCRIBERS = """
    PERFORM 1 FROM subscribers s WHERE s.id IN ({ids}) ORDER BY s.id FOR SHARE;
"""


def _function(name: str, deltas: str, returns: str = "NULL", lock: str = "") -> str:
    # Real tables are read only by indexed keys from the transition tables; sequential scans off, as for the audience
    # counts, so a statement's triggers cost what it touched whatever the planner believes of stale statistics.
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off AS $$\n"
        f"BEGIN\n{lock}{_ADD_DELTAS.format(deltas=deltas)}\n    RETURN {returns};\nEND $$;\n"
    )


def _statement_trigger(name: str, when: str, table: str, tables: str, function: str) -> str:
    return (
        f"DROP TRIGGER IF EXISTS {name} ON {table};\n"
        f"CREATE TRIGGER {name} AFTER {when} ON {table} REFERENCING {tables}\n"
        f"    FOR EACH STATEMENT EXECUTE FUNCTION {function}();\n"
    )


_UPDATE_TABLES = "OLD TABLE AS changed_from NEW TABLE AS changed_to"
# The functions and triggers, created with the schema (create_all) and by the migration that added the table.
TRIGGERS_SQL = (
    _function("growth_counts_subscribers_inserted", _INSERTED)
    + _function("growth_counts_subscribers_updated", _UPDATED)
    + _function("growth_counts_subscriber_deleted", _DELETED, returns="OLD")
    + _function(
        "growth_counts_topics_changed",
        _TOPICS_CHANGED,
        lock=_LOCK_SUBSCRIBERS.format(ids="SELECT subscriber_id FROM changed_topics"),
    )
    + _function(
        "growth_counts_topics_updated",
        _TOPICS_UPDATED,
        lock=_LOCK_SUBSCRIBERS.format(
            ids="SELECT subscriber_id FROM changed_to UNION SELECT subscriber_id FROM changed_from"
        ),
    )
    + _function("growth_counts_events_changed", _EVENTS_CHANGED)
    + _function("growth_counts_events_updated", _EVENTS_UPDATED)
    + _statement_trigger(
        "growth_counts_subscribers_inserted",
        "INSERT",
        "subscribers",
        "NEW TABLE AS added",
        "growth_counts_subscribers_inserted",
    )
    + _statement_trigger(
        "growth_counts_subscribers_updated",
        "UPDATE",
        "subscribers",
        _UPDATE_TABLES,
        "growth_counts_subscribers_updated",
    )
    + """
DROP TRIGGER IF EXISTS growth_counts_subscriber_deleted ON subscribers;
CREATE TRIGGER growth_counts_subscriber_deleted BEFORE DELETE ON subscribers
    FOR EACH ROW EXECUTE FUNCTION growth_counts_subscriber_deleted();
"""
    + _statement_trigger(
        "growth_counts_topics_added",
        "INSERT",
        "subscriber_topics",
        "NEW TABLE AS changed_topics",
        "growth_counts_topics_changed",
    )
    + _statement_trigger(
        "growth_counts_topics_removed",
        "DELETE",
        "subscriber_topics",
        "OLD TABLE AS changed_topics",
        "growth_counts_topics_changed",
    )
    + _statement_trigger(
        "growth_counts_topics_updated", "UPDATE", "subscriber_topics", _UPDATE_TABLES, "growth_counts_topics_updated"
    )
    + _statement_trigger(
        "growth_counts_events_added",
        "INSERT",
        "email_events",
        "NEW TABLE AS changed_events",
        "growth_counts_events_changed",
    )
    + _statement_trigger(
        "growth_counts_events_removed",
        "DELETE",
        "email_events",
        "OLD TABLE AS changed_events",
        "growth_counts_events_changed",
    )
    + _statement_trigger(
        "growth_counts_events_updated", "UPDATE", "email_events", _UPDATE_TABLES, "growth_counts_events_updated"
    )
)

# Counting the list and the events as they are, once: what the migration starts the table from.
RECOUNT_SQL = f"""
DELETE FROM growth_counts;
INSERT INTO growth_counts (bucket, measure, dimension, key, n)
SELECT bucket, measure, dimension, key, sum(delta) FROM (
    {_subscriber_deltas(_rows("subscribers", "1"), topics=True)}
    UNION ALL {_event_deltas("email_events", "1")}
) AS facts GROUP BY bucket, measure, dimension, key;
"""

event.listen(db.metadata, "after_create", DDL(TRIGGERS_SQL).execute_if(dialect="postgresql"))


def _on_quarter_hour(instant: datetime) -> bool:
    return instant.minute % 15 == 0 and instant.second == 0 and instant.microsecond == 0


def kept_growth(session: Session, starts: Sequence[datetime], position) -> list[tuple] | None:
    """(week, measure, dimension, key, n) summed from the kept counts: `starts` are the weeks' UTC starts and the
    last one's end, `position(column)` says which week (0 = oldest) an instant is in. None where the database keeps
    no counts, or where a week would start inside a bucket (a zone's offset of old, not a whole quarter hour):
    count directly then."""
    if session.get_bind().dialect.name != "postgresql" or not all(_on_quarter_hour(start) for start in starts):
        return None
    week = position(GrowthCount.bucket).label("week")
    columns = (week, GrowthCount.measure, GrowthCount.dimension, GrowthCount.key)
    statement = (
        select(*columns, func.sum(GrowthCount.n))
        .where(GrowthCount.bucket >= starts[0], GrowthCount.bucket < starts[-1])
        .group_by(*columns)
    )
    return [tuple(row) for row in session.execute(statement)]
