"""send batches: what the worker knows of SendGrid's answer, and their hand-over (batch_id, send_at)

A batch (and its deliveries) cancelled at SendGrid before its send time is `cancelled`: the CHECK constraints of
send_batches and deliveries allow it.

Revision ID: c18a0f5e2b71
Revises: c15e2a7b9d31
Create Date: 2026-12-01 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c18a0f5e2b71'
down_revision = 'c15e2a7b9d31'
branch_labels = None
depends_on = None

# The values of service/models/statuses.py before and as of this migration (a migration never imports the models).
BEFORE = {
    'send_batches': ('in_flight', 'sent', 'failed', 'uncertain', 'resend'),
    'deliveries': (
        'pending', 'in_flight', 'sent', 'failed', 'uncertain', 'resend', 'skipped',
        'deferred', 'delivered', 'blocked', 'bounced', 'dropped',
    ),
}
AFTER = {
    'send_batches': ('in_flight', 'sent', 'failed', 'uncertain', 'resend', 'cancelled'),
    'deliveries': (
        'pending', 'in_flight', 'sent', 'failed', 'uncertain', 'resend', 'skipped', 'cancelled',
        'deferred', 'delivered', 'blocked', 'bounced', 'dropped',
    ),
}
# What a cancelled row becomes when downgrading: never sent, and nothing left to do.
DOWNGRADED = {'send_batches': 'failed', 'deliveries': 'skipped'}


def _replace_status_check(table, statuses):
    allowed = ', '.join(f"'{status}'" for status in statuses)
    # SQLite cannot alter a CHECK in place: batch_alter_table recreates the table with the new one.
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f'ck_{table}_status'), type_='check')
        batch_op.create_check_constraint(op.f(f'ck_{table}_status'), sa.text(f'status IN ({allowed})'))


def upgrade():
    with op.batch_alter_table('send_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refused', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('handover_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('scheduled_for', sa.DateTime(), nullable=True))
    for table, statuses in AFTER.items():
        _replace_status_check(table, statuses)


def downgrade():
    for table, statuses in BEFORE.items():
        op.execute(f"UPDATE {table} SET status = '{DOWNGRADED[table]}' WHERE status = 'cancelled'")
        _replace_status_check(table, statuses)
    with op.batch_alter_table('send_batches', schema=None) as batch_op:
        batch_op.drop_column('scheduled_for')
        batch_op.drop_column('handover_id')
        batch_op.drop_column('refused')
