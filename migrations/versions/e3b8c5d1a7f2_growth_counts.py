"""growth counts: list growth per UTC quarter hour by measure, source and topic, kept by PostgreSQL triggers

Revision ID: e3b8c5d1a7f2
Revises: e4c8a1d2b6f0
Create Date: 2026-12-02 03:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3b8c5d1a7f2'
down_revision = 'e4c8a1d2b6f0'
branch_labels = None
depends_on = None

TRIGGERS = (
    ('growth_counts_subscribers_inserted', 'subscribers'),
    ('growth_counts_subscribers_updated', 'subscribers'),
    ('growth_counts_subscriber_deleted', 'subscribers'),
    ('growth_counts_topics_added', 'subscriber_topics'),
    ('growth_counts_topics_removed', 'subscriber_topics'),
    ('growth_counts_topics_updated', 'subscriber_topics'),
    ('growth_counts_events_added', 'email_events'),
    ('growth_counts_events_removed', 'email_events'),
    ('growth_counts_events_updated', 'email_events'),
)
FUNCTIONS = (
    'growth_counts_subscribers_inserted',
    'growth_counts_subscribers_updated',
    'growth_counts_subscriber_deleted',
    'growth_counts_topics_changed',
    'growth_counts_topics_updated',
    'growth_counts_events_changed',
    'growth_counts_events_updated',
)


def upgrade():
    op.create_table(
        'growth_counts',
        sa.Column('bucket', sa.DateTime(), nullable=False),
        sa.Column('measure', sa.String(length=20), nullable=False),
        sa.Column('dimension', sa.String(length=10), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('bucket', 'measure', 'dimension', 'key'),
    )
    if op.get_bind().dialect.name == 'postgresql':
        # The SQL lives with the code that reads the counts (the same text create_all runs).
        from service.subscribers.growth_counts import RECOUNT_SQL, TRIGGERS_SQL

        op.execute(TRIGGERS_SQL)
        op.execute(RECOUNT_SQL)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for trigger, table in TRIGGERS:
            op.execute(f'DROP TRIGGER IF EXISTS {trigger} ON {table}')
        for function in FUNCTIONS:
            op.execute(f'DROP FUNCTION IF EXISTS {function}()')
    op.drop_table('growth_counts')
