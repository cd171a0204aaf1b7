"""growth indexes: home's last 30 days and list growth's weeks read ranges of subscriber instants and of bounce and
complaint times, not whole tables

Revision ID: d2a7f4c1e9b3
Revises: d19b3e6a4c20
Create Date: 2026-12-02 01:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd2a7f4c1e9b3'
down_revision = 'd19b3e6a4c20'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_subscribers_created_at', 'subscribers', ['created_at']),
    ('ix_subscribers_confirmed_at', 'subscribers', ['confirmed_at']),
    ('ix_subscribers_unsubscribed_at', 'subscribers', ['unsubscribed_at']),
    ('ix_email_events_event_occurred_at', 'email_events', ['event', 'occurred_at']),
)


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
