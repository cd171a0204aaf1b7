"""audience counts: exact audience sizes per topic set and subscribers per status, kept by PostgreSQL triggers

Revision ID: a19c0c0a7e51
Revises: 35acea7a9edd
Create Date: 2026-12-01 21:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a19c0c0a7e51'
down_revision = '35acea7a9edd'
branch_labels = None
depends_on = None

TRIGGERS = (
    ('audience_counts_subscribers_inserted', 'subscribers'),
    ('audience_counts_subscribers_updated', 'subscribers'),
    ('audience_counts_subscriber_deleted', 'subscribers'),
    ('audience_counts_topics_added', 'subscriber_topics'),
    ('audience_counts_topics_removed', 'subscriber_topics'),
    ('audience_counts_suppressions_added', 'suppressions'),
    ('audience_counts_suppressions_removed', 'suppressions'),
)
FUNCTIONS = (
    'audience_counts_subscribers_inserted',
    'audience_counts_subscribers_updated',
    'audience_counts_subscriber_deleted',
    'audience_counts_topics_changed',
    'audience_counts_suppressions_changed',
)


def upgrade():
    op.create_table(
        'audience_counts',
        sa.Column('topics', sa.String(length=400), nullable=False),
        sa.Column('subscribers', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('topics'),
    )
    op.create_table(
        'subscriber_status_counts',
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('subscribers', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('status'),
    )
    if op.get_bind().dialect.name == 'postgresql':
        # The SQL lives with the code that reads the counts (the same text create_all runs).
        from service.subscribers.audience_counts import RECOUNT_SQL, TRIGGERS_SQL

        op.execute(TRIGGERS_SQL)
        op.execute(RECOUNT_SQL)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for trigger, table in TRIGGERS:
            op.execute(f'DROP TRIGGER IF EXISTS {trigger} ON {table}')
        for function in FUNCTIONS:
            op.execute(f'DROP FUNCTION IF EXISTS {function}()')
    op.drop_table('subscriber_status_counts')
    op.drop_table('audience_counts')
