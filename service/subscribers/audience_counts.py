"""Exact audience sizes and status counts without counting the list: THE ONE PLACE with PostgreSQL-specific SQL for
them (triggers).

On PostgreSQL the database keeps `audience_counts` (one row per exact set of topics: how many confirmed, unsuppressed
subscribers have exactly those topics) in the same transaction as whatever changes subscribers, their topics or the
suppression list: the ORM, bulk COPY imports, the webhook's set-wise updates and erasures alike, so no code path can
forget it. Statement-level triggers with transition tables keep a bulk import one set operation, not a row at a time.
The size of an audience (any of its topics) is the sum over the topic sets that meet them: a handful of rows, where
counting a million-row join took most of a second. Rows are added to in topic-set order, so two transactions take
their row locks in the same order.

`subscriber_status_counts` (subscribers by status, for the subscriber list) is kept by the same triggers.

On SQLite (a small, single-host list) the audience and the statuses are counted directly.
"""

import logging
from collections.abc import Sequence

from sqlalchemy import DDL, event, select, text
from sqlalchemy.orm import Session

from service.extensions import db
from service.models import AudienceCount, SubscriberStatusCount

log = logging.getLogger(__name__)

# Real tables are only ever read through scalar subqueries keyed by an indexed column, driven by the statement's
# transition table (and the functions run with sequential scans off): so a statement's triggers cost what it
# touched, whatever the planner believes of tables whose statistics are stale (a first bulk import into an empty
# table is planned as if it were still empty).
_SUPPRESSED = "coalesce((SELECT true FROM suppressions p WHERE p.email_hash = {row}.email_hash), false)"
_ELIGIBLE = f"s.status = 'confirmed' AND NOT {_SUPPRESSED.format(row='s')}"
_ELIGIBLE_ID = (
    "coalesce((SELECT s.status = 'confirmed' AND NOT "
    + _SUPPRESSED.format(row="s")
    + " FROM subscribers s WHERE s.id = {id}), false)"
)
_ADD_DELTAS = """
    INSERT INTO audience_counts (topics, subscribers)
    SELECT topics, sum(delta) FROM ({deltas}) AS deltas GROUP BY topics HAVING sum(delta) <> 0 ORDER BY topics
    ON CONFLICT (topics) DO UPDATE SET subscribers = audience_counts.subscribers + excluded.subscribers
"""
_TOPIC_KEY = (
    "coalesce((SELECT string_agg(t.topic, ',' ORDER BY t.topic) FROM subscriber_topics t "
    "WHERE t.subscriber_id = {id}), '')"
)

_ADD_STATUS_DELTAS = """
    INSERT INTO subscriber_status_counts (status, subscribers)
    SELECT status, sum(delta) FROM ({deltas}) AS deltas GROUP BY status HAVING sum(delta) <> 0 ORDER BY status
    ON CONFLICT (status) DO UPDATE SET subscribers = subscriber_status_counts.subscribers + excluded.subscribers
"""

# What each trigger adds to the counts: rows of (topic set, +1 or -1), and of (status, +1 or -1).
_INSERTED = f"SELECT {_TOPIC_KEY.format(id='s.id')} AS topics, 1 AS delta FROM added s WHERE {_ELIGIBLE}"
_INSERTED_STATUSES = "SELECT status, 1 AS delta FROM added"
_UPDATED = f"""
    SELECT {_TOPIC_KEY.format(id="n.id")} AS topics, n.eligible - o.eligible AS delta FROM (
        SELECT s.id, CASE WHEN {_ELIGIBLE} THEN 1 ELSE 0 END AS eligible FROM changed_to s
    ) AS n JOIN (
        SELECT s.id, CASE WHEN {_ELIGIBLE} THEN 1 ELSE 0 END AS eligible FROM changed_from s
    ) AS o ON o.id = n.id
    WHERE n.eligible <> o.eligible
"""
_UPDATED_STATUSES = "SELECT status, 1 AS delta FROM changed_to UNION ALL SELECT status, -1 FROM changed_from"
_DELETED = f"SELECT {_TOPIC_KEY.format(id='OLD.id')} AS topics, -1 AS delta"
_DELETED_STATUSES = "SELECT OLD.status AS status, -1 AS delta"
_TOPICS_CHANGED = f"""
    WITH changed AS (SELECT subscriber_id AS id, array_agg(topic) AS topics FROM changed_topics GROUP BY subscriber_id),
    keys AS (
        SELECT {_TOPIC_KEY.format(id="c.id")} AS new_topics, coalesce((
            SELECT string_agg(x.topic, ',' ORDER BY x.topic) FROM (
                SELECT t.topic FROM subscriber_topics t
                WHERE t.subscriber_id = c.id AND (TG_OP = 'DELETE' OR t.topic <> ALL (c.topics))
                UNION ALL
                SELECT unnest(c.topics) WHERE TG_OP = 'DELETE'
            ) AS x
        ), '') AS old_topics
        FROM changed c WHERE {_ELIGIBLE_ID.format(id="c.id")}
    )
    SELECT new_topics AS topics, 1 AS delta FROM keys
    UNION ALL SELECT old_topics, -1 FROM keys
"""
# Topic rows changed in place (a topic renamed, a row moved to another subscriber): each eligible subscriber of
# either side moves from its set as it was (now less the new rows, plus the old ones) to its set as it is.
_TOPICS_UPDATED = f"""
    WITH affected AS (SELECT subscriber_id AS id FROM changed_to UNION SELECT subscriber_id FROM changed_from),
    keys AS (
        SELECT {_TOPIC_KEY.format(id="c.id")} AS new_topics, coalesce((
            SELECT string_agg(x.topic, ',' ORDER BY x.topic) FROM (
                (SELECT t.topic FROM subscriber_topics t WHERE t.subscriber_id = c.id
                 EXCEPT SELECT n.topic FROM changed_to n WHERE n.subscriber_id = c.id)
                UNION SELECT o.topic FROM changed_from o WHERE o.subscriber_id = c.id
            ) AS x
        ), '') AS old_topics
        FROM affected c WHERE {_ELIGIBLE_ID.format(id="c.id")}
    )
    SELECT new_topics AS topics, 1 AS delta FROM keys
    UNION ALL SELECT old_topics, -1 FROM keys
"""
_SUPPRESSIONS_CHANGED = f"""
    SELECT {_TOPIC_KEY.format(id="x.id")} AS topics, x.delta FROM (
        SELECT (SELECT s.id FROM subscribers s WHERE s.email_hash = c.email_hash AND s.status = 'confirmed') AS id,
            CASE WHEN TG_OP = 'INSERT' THEN -1 ELSE 1 END AS delta
        FROM changed_suppressions c
    ) AS x WHERE x.id IS NOT NULL
"""


# A topic change or a suppression counts a subscriber as its trigger reads them: a transaction changing the status,
# suppression or topics of that subscriber at the same time must have committed first, or wait for this one. Not
# growth_counts' FOR SHARE: two topic changes, or a topic change and a suppression, could both hold that at once.
_LOCK_SUBSCRIBERS = """
    PERFORM 1 FROM subscribers s WHERE {where} ORDER BY s.id FOR NO KEY UPDATE;
"""


def _function(name: str, body: str, returns: str = "NULL") -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off AS $$\n"
        f"BEGIN\n{body}\n    RETURN {returns};\nEND $$;\n"
    )


def _add(deltas: str) -> str:
    return _ADD_DELTAS.format(deltas=deltas) + ";"


def _add_statuses(deltas: str) -> str:
    return _ADD_STATUS_DELTAS.format(deltas=deltas) + ";"


# Before each row's delete: its topics are still there (the cascade removes them after).
_DELETED_BODY = f"""
    IF OLD.status = 'confirmed' THEN
        IF NOT EXISTS (SELECT 1 FROM suppressions p WHERE p.email_hash = OLD.email_hash) THEN
            {_add(_DELETED)}
        END IF;
    END IF;
    {_add_statuses(_DELETED_STATUSES)}
"""

# The functions by name, for migrations that replace one of them.
FUNCTIONS = {
    "audience_counts_subscribers_inserted": _function(
        "audience_counts_subscribers_inserted", _add(_INSERTED) + _add_statuses(_INSERTED_STATUSES)
    ),
    "audience_counts_subscribers_updated": _function(
        "audience_counts_subscribers_updated", _add(_UPDATED) + _add_statuses(_UPDATED_STATUSES)
    ),
    "audience_counts_subscriber_deleted": _function("audience_counts_subscriber_deleted", _DELETED_BODY, returns="OLD"),
    # Topics added or removed: each eligible subscriber moves from its old topic set to its new one.
    "audience_counts_topics_changed": _function(
        "audience_counts_topics_changed",
        _LOCK_SUBSCRIBERS.format(where="s.id IN (SELECT subscriber_id FROM changed_topics)") + _add(_TOPICS_CHANGED),
    ),
    "audience_counts_topics_updated": _function(
        "audience_counts_topics_updated",
        _LOCK_SUBSCRIBERS.format(
            where="s.id IN (SELECT subscriber_id FROM changed_to UNION SELECT subscriber_id FROM changed_from)"
        )
        + _add(_TOPICS_UPDATED),
    ),
    "audience_counts_suppressions_changed": _function(
        "audience_counts_suppressions_changed",
        _LOCK_SUBSCRIBERS.format(where="s.email_hash IN (SELECT email_hash FROM changed_suppressions)")
        + _add(_SUPPRESSIONS_CHANGED),
    ),
}

# The functions and triggers, created with the schema (create_all) and by the migration that added the tables.
TRIGGERS_SQL = (
    "".join(FUNCTIONS.values())
    + """
DROP TRIGGER IF EXISTS audience_counts_subscribers_inserted ON subscribers;
CREATE TRIGGER audience_counts_subscribers_inserted AFTER INSERT ON subscribers
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION audience_counts_subscribers_inserted();
DROP TRIGGER IF EXISTS audience_counts_subscribers_updated ON subscribers;
CREATE TRIGGER audience_counts_subscribers_updated AFTER UPDATE ON subscribers
    REFERENCING OLD TABLE AS changed_from NEW TABLE AS changed_to
    FOR EACH STATEMENT EXECUTE FUNCTION audience_counts_subscribers_updated();
DROP TRIGGER IF EXISTS audience_counts_subscriber_deleted ON subscribers;
CREATE TRIGGER audience_counts_subscriber_deleted BEFORE DELETE ON subscribers
    FOR EACH ROW EXECUTE FUNCTION audience_counts_subscriber_deleted();
DROP TRIGGER IF EXISTS audience_counts_topics_added ON subscriber_topics;
CREATE TRIGGER audience_counts_topics_added AFTER INSERT ON subscriber_topics
    REFERENCING NEW TABLE AS changed_topics FOR EACH STATEMENT EXECUTE FUNCTION audience_counts_topics_changed();
DROP TRIGGER IF EXISTS audience_counts_topics_removed ON subscriber_topics;
CREATE TRIGGER audience_counts_topics_removed AFTER DELETE ON subscriber_topics
    REFERENCING OLD TABLE AS changed_topics FOR EACH STATEMENT EXECUTE FUNCTION audience_counts_topics_changed();
DROP TRIGGER IF EXISTS audience_counts_topics_updated ON subscriber_topics;
CREATE TRIGGER audience_counts_topics_updated AFTER UPDATE ON subscriber_topics
    REFERENCING OLD TABLE AS changed_from NEW TABLE AS changed_to
    FOR EACH STATEMENT EXECUTE FUNCTION audience_counts_topics_updated();
DROP TRIGGER IF EXISTS audience_counts_suppressions_added ON suppressions;
CREATE TRIGGER audience_counts_suppressions_added AFTER INSERT ON suppressions
    REFERENCING NEW TABLE AS changed_suppressions
    FOR EACH STATEMENT EXECUTE FUNCTION audience_counts_suppressions_changed();
DROP TRIGGER IF EXISTS audience_counts_suppressions_removed ON suppressions;
CREATE TRIGGER audience_counts_suppressions_removed AFTER DELETE ON suppressions
    REFERENCING OLD TABLE AS changed_suppressions
    FOR EACH STATEMENT EXECUTE FUNCTION audience_counts_suppressions_changed();
"""
)

# Counting the list as it is, once: what the migration starts the table from.
_COUNTED = f"SELECT {_TOPIC_KEY.format(id='s.id')}, count(*) FROM subscribers s WHERE {_ELIGIBLE} GROUP BY 1"
RECOUNT_SQL = f"""
DELETE FROM audience_counts;
INSERT INTO audience_counts (topics, subscribers)
{_COUNTED};
"""
# The daily mending, in one statement so that the kept counts and the recount are read at one moment (one snapshot):
# their difference is the drift alone, whatever changes were in flight, and adding it (as the triggers add theirs,
# to the row as it is by then) keeps the changes made meanwhile. No lock is taken beyond the rows corrected.
_DRIFT = f"""
    SELECT topics, coalesce(k.subscribers, 0) AS kept, coalesce(c.subscribers, 0) AS counted
    FROM audience_counts k FULL JOIN ({_COUNTED}) AS c (topics, subscribers) USING (topics)
    WHERE coalesce(k.subscribers, 0) <> coalesce(c.subscribers, 0)
"""
MEND_SQL = f"""
WITH drift AS ({_DRIFT}),
mended AS ({_ADD_DELTAS.format(deltas="SELECT topics, counted - kept AS delta FROM drift")} RETURNING topics)
SELECT topics, kept, counted FROM drift ORDER BY topics
"""

event.listen(db.metadata, "after_create", DDL(TRIGGERS_SQL).execute_if(dialect="postgresql"))


def counted_audience_size(session: Session, topics: Sequence[str], live_count) -> int:
    """The number of confirmed, unsuppressed subscribers with any of `topics`; `live_count` counts them on
    databases without the kept counts."""
    if not topics:
        return 0
    if session.get_bind().dialect.name != "postgresql":
        return live_count()
    wanted = set(topics)
    rows = session.execute(select(AudienceCount.topics, AudienceCount.subscribers).where(AudienceCount.topics != ""))
    return sum(count for key, count in rows if wanted & set(key.split(",")))


def kept_status_counts(session: Session) -> dict[str, int] | None:
    """Subscribers by status as the database keeps them, or None where it keeps none (count them instead)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return dict(session.execute(select(SubscriberStatusCount.status, SubscriberStatusCount.subscribers)).all())


def mend_audience_counts(session: Session) -> dict[str, tuple[int, int]]:
    """Count the audience again and correct the kept counts by what they missed; commits. Returns {topics: (kept,
    counted)} for each topic set corrected (on SQLite, where nothing is kept, always {}).

    The triggers keep the counts exact but for one race: a confirmed subscriber inserted while a suppression of the
    same address is written, neither transaction seeing the other's row, is counted although suppressed. Locking
    every address for it would fill PostgreSQL's lock table on a large import, so the worker mends instead, daily,
    and no change to the list waits for it (a recount of a million takes seconds)."""
    if session.get_bind().dialect.name != "postgresql":
        return {}
    wrong = {topics: (kept, counted) for topics, kept, counted in session.execute(text(MEND_SQL))}
    session.commit()
    return wrong


def mend_and_report(session: Session) -> None:
    """The worker's daily job: mend the audience counts, and say in the log what was wrong (topic names only)."""
    for topics, (kept, counted) in mend_audience_counts(session).items():
        log.warning("audience counts: topics %r kept %s, counted %s; corrected", topics or "(none)", kept, counted)
