"""audience counts wait for a racing change of their subscriber: the topics' and suppressions' triggers lock the
subscribers they count (FOR NO KEY UPDATE, in id order) before reading them

Revision ID: b7e2d9c4a1f6
Revises: f1a6c3e8b2d4
Create Date: 2026-12-02 07:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b7e2d9c4a1f6'
down_revision = 'f1a6c3e8b2d4'
branch_labels = None
depends_on = None

CHANGED = ('audience_counts_topics_changed', 'audience_counts_suppressions_changed')

# The functions as revision a19c0c0a7e51 created them, before the lock: the module no longer makes this text.
OLD_FUNCTIONS = (
    """CREATE OR REPLACE FUNCTION audience_counts_topics_changed() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN

    INSERT INTO audience_counts (topics, subscribers)
    SELECT topics, sum(delta) FROM (
    WITH changed AS (SELECT subscriber_id AS id, array_agg(topic) AS topics FROM changed_topics GROUP BY subscriber_id),
    keys AS (
        SELECT coalesce((SELECT string_agg(t.topic, ',' ORDER BY t.topic) FROM subscriber_topics t WHERE t.subscriber_id = c.id), '') AS new_topics, coalesce((
            SELECT string_agg(x.topic, ',' ORDER BY x.topic) FROM (
                SELECT t.topic FROM subscriber_topics t
                WHERE t.subscriber_id = c.id AND (TG_OP = 'DELETE' OR t.topic <> ALL (c.topics))
                UNION ALL
                SELECT unnest(c.topics) WHERE TG_OP = 'DELETE'
            ) AS x
        ), '') AS old_topics
        FROM changed c WHERE coalesce((SELECT s.status = 'confirmed' AND NOT coalesce((SELECT true FROM suppressions p WHERE p.email_hash = s.email_hash), false) FROM subscribers s WHERE s.id = c.id), false)
    )
    SELECT new_topics AS topics, 1 AS delta FROM keys
    UNION ALL SELECT old_topics, -1 FROM keys
) AS deltas GROUP BY topics HAVING sum(delta) <> 0 ORDER BY topics
    ON CONFLICT (topics) DO UPDATE SET subscribers = audience_counts.subscribers + excluded.subscribers
;
    RETURN NULL;
END $$;
""",
    """CREATE OR REPLACE FUNCTION audience_counts_suppressions_changed() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN

    INSERT INTO audience_counts (topics, subscribers)
    SELECT topics, sum(delta) FROM (
    SELECT coalesce((SELECT string_agg(t.topic, ',' ORDER BY t.topic) FROM subscriber_topics t WHERE t.subscriber_id = x.id), '') AS topics, x.delta FROM (
        SELECT (SELECT s.id FROM subscribers s WHERE s.email_hash = c.email_hash AND s.status = 'confirmed') AS id,
            CASE WHEN TG_OP = 'INSERT' THEN -1 ELSE 1 END AS delta
        FROM changed_suppressions c
    ) AS x WHERE x.id IS NOT NULL
) AS deltas GROUP BY topics HAVING sum(delta) <> 0 ORDER BY topics
    ON CONFLICT (topics) DO UPDATE SET subscribers = audience_counts.subscribers + excluded.subscribers
;
    RETURN NULL;
END $$;
""",
)


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        # The SQL lives with the code that reads the counts (the same text create_all runs).
        from service.subscribers.audience_counts import FUNCTIONS

        for name in CHANGED:
            op.execute(FUNCTIONS[name])


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for function in OLD_FUNCTIONS:
            op.execute(function)
