"""audience counts follow topic rows changed in place (an UPDATE of subscriber_topics): a trigger of its own

Revision ID: c5f9e2a7d3b1
Revises: b7e2d9c4a1f6
Create Date: 2026-12-02 18:55:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c5f9e2a7d3b1'
down_revision = 'b7e2d9c4a1f6'
branch_labels = None
depends_on = None

# The text as service/subscribers/audience_counts.py makes it today, kept here so that this revision always makes
# the same thing (tests/subscribers/test_audience_counts.py checks the migrations make what create_all makes).
FUNCTION = """CREATE OR REPLACE FUNCTION audience_counts_topics_updated() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off AS $$
BEGIN

    PERFORM 1 FROM subscribers s WHERE s.id IN (SELECT subscriber_id FROM changed_to UNION SELECT subscriber_id FROM changed_from) ORDER BY s.id FOR NO KEY UPDATE;

    INSERT INTO audience_counts (topics, subscribers)
    SELECT topics, sum(delta) FROM (
    WITH affected AS (SELECT subscriber_id AS id FROM changed_to UNION SELECT subscriber_id FROM changed_from),
    keys AS (
        SELECT coalesce((SELECT string_agg(t.topic, ',' ORDER BY t.topic) FROM subscriber_topics t WHERE t.subscriber_id = c.id), '') AS new_topics, coalesce((
            SELECT string_agg(x.topic, ',' ORDER BY x.topic) FROM (
                (SELECT t.topic FROM subscriber_topics t WHERE t.subscriber_id = c.id
                 EXCEPT SELECT n.topic FROM changed_to n WHERE n.subscriber_id = c.id)
                UNION SELECT o.topic FROM changed_from o WHERE o.subscriber_id = c.id
            ) AS x
        ), '') AS old_topics
        FROM affected c WHERE coalesce((SELECT s.status = 'confirmed' AND NOT coalesce((SELECT true FROM suppressions p WHERE p.email_hash = s.email_hash), false) FROM subscribers s WHERE s.id = c.id), false)
    )
    SELECT new_topics AS topics, 1 AS delta FROM keys
    UNION ALL SELECT old_topics, -1 FROM keys
) AS deltas GROUP BY topics HAVING sum(delta) <> 0 ORDER BY topics
    ON CONFLICT (topics) DO UPDATE SET subscribers = audience_counts.subscribers + excluded.subscribers
;
    RETURN NULL;
END $$;
"""

TRIGGER = """DROP TRIGGER IF EXISTS audience_counts_topics_updated ON subscriber_topics;
CREATE TRIGGER audience_counts_topics_updated AFTER UPDATE ON subscriber_topics
    REFERENCING OLD TABLE AS changed_from NEW TABLE AS changed_to
    FOR EACH STATEMENT EXECUTE FUNCTION audience_counts_topics_updated();
"""


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(FUNCTION)
        op.execute(TRIGGER)
        # Nothing to recount: until now no code changed a topic row in place.


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS audience_counts_topics_updated ON subscriber_topics')
        op.execute('DROP FUNCTION IF EXISTS audience_counts_topics_updated()')
