"""message event counts: each message's events by event and kind, kept by PostgreSQL triggers

Revision ID: 0371a4dbe80c
Revises: c5f9e2a7d3b1
Create Date: 2026-12-03 15:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0371a4dbe80c'
down_revision = 'c5f9e2a7d3b1'
branch_labels = None
depends_on = None

# The text as service/campaigns/event_counts.py makes it today, kept here so that this revision always makes the same
# thing (tests/campaigns/test_event_counts.py checks the migrations make what create_all makes).
TRIGGERS_SQL = """CREATE OR REPLACE FUNCTION message_event_counts_events_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN

    INSERT INTO message_event_counts (message_id, event, kind, n)
    SELECT d.message_id, d.event, d.kind, sum(d.delta) FROM (SELECT e.message_id, e.event, e.kind, CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END AS delta FROM changed_events e WHERE e.message_id IS NOT NULL) AS d
    WHERE EXISTS (SELECT 1 FROM messages m WHERE m.id = d.message_id)
    GROUP BY d.message_id, d.event, d.kind HAVING sum(d.delta) <> 0;

    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION message_event_counts_events_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN

    INSERT INTO message_event_counts (message_id, event, kind, n)
    SELECT d.message_id, d.event, d.kind, sum(d.delta) FROM (SELECT e.message_id, e.event, e.kind, 1 AS delta FROM 
    (SELECT n.* FROM changed_to n JOIN changed_from o ON o.id = n.id
     WHERE (n.message_id, n.event, n.kind) IS DISTINCT FROM (o.message_id, o.event, o.kind))
 e WHERE e.message_id IS NOT NULL UNION ALL SELECT e.message_id, e.event, e.kind, -1 AS delta FROM 
    (SELECT o.* FROM changed_to n JOIN changed_from o ON o.id = n.id
     WHERE (n.message_id, n.event, n.kind) IS DISTINCT FROM (o.message_id, o.event, o.kind))
 e WHERE e.message_id IS NOT NULL) AS d
    WHERE EXISTS (SELECT 1 FROM messages m WHERE m.id = d.message_id)
    GROUP BY d.message_id, d.event, d.kind HAVING sum(d.delta) <> 0;

    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS message_event_counts_events_added ON email_events;
CREATE TRIGGER message_event_counts_events_added AFTER INSERT ON email_events REFERENCING NEW TABLE AS changed_events
    FOR EACH STATEMENT EXECUTE FUNCTION message_event_counts_events_changed();
DROP TRIGGER IF EXISTS message_event_counts_events_removed ON email_events;
CREATE TRIGGER message_event_counts_events_removed AFTER DELETE ON email_events REFERENCING OLD TABLE AS changed_events
    FOR EACH STATEMENT EXECUTE FUNCTION message_event_counts_events_changed();
DROP TRIGGER IF EXISTS message_event_counts_events_updated ON email_events;
CREATE TRIGGER message_event_counts_events_updated AFTER UPDATE ON email_events REFERENCING OLD TABLE AS changed_from NEW TABLE AS changed_to
    FOR EACH STATEMENT EXECUTE FUNCTION message_event_counts_events_updated();
"""
# The events as they are, counted once: what the table starts from.
RECOUNT_SQL = """
INSERT INTO message_event_counts (message_id, event, kind, n)
SELECT message_id, event, kind, count(*) FROM email_events WHERE message_id IS NOT NULL
GROUP BY message_id, event, kind;
"""
TRIGGERS = (
    'message_event_counts_events_added',
    'message_event_counts_events_removed',
    'message_event_counts_events_updated',
)
FUNCTIONS = ('message_event_counts_events_changed', 'message_event_counts_events_updated')


def upgrade():
    op.create_table(
        'message_event_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('event', sa.String(length=30), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_message_event_counts_message_id'), 'message_event_counts', ['message_id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(TRIGGERS_SQL)
        op.execute(RECOUNT_SQL)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for trigger in TRIGGERS:
            op.execute(f'DROP TRIGGER IF EXISTS {trigger} ON email_events')
        for function in FUNCTIONS:
            op.execute(f'DROP FUNCTION IF EXISTS {function}()')
    op.drop_index(op.f('ix_message_event_counts_message_id'), table_name='message_event_counts')
    op.drop_table('message_event_counts')
