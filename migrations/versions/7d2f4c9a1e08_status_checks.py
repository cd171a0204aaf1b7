"""statuses: CHECK constraints for the allowed values; messages remember the batch they stopped at

Revision ID: 7d2f4c9a1e08
Revises: 7393f23b4902
Create Date: 2026-12-01 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d2f4c9a1e08'
down_revision = '7393f23b4902'
branch_labels = None
depends_on = None

# The values of service/models/statuses.py as of this migration (a migration never imports the models).
STATUSES = {
    'campaigns': ('draft', 'in_review', 'approved', 'scheduled', 'sending', 'sent', 'paused', 'cancelled'),
    'messages': ('planned', 'sending', 'sent', 'failed', 'missed', 'cancelled', 'paused', 'uncertain'),
    'send_batches': ('in_flight', 'sent', 'failed', 'uncertain', 'resend'),
    'deliveries': (
        'pending', 'in_flight', 'sent', 'failed', 'uncertain', 'resend', 'skipped',
        'deferred', 'delivered', 'blocked', 'bounced', 'dropped',
    ),
}


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stopped_at_batch', sa.Integer(), nullable=True))
    # The email message that stopped at an uncertain batch was known only by its error's words until now.
    op.execute(
        "UPDATE messages SET stopped_at_batch = ("
        "SELECT MIN(number) FROM send_batches WHERE send_batches.message_id = messages.id "
        "AND send_batches.status = 'uncertain') "
        "WHERE status = 'uncertain' AND channel = 'email' AND error LIKE 'Stopped at batch%'"
    )
    for table, statuses in STATUSES.items():
        allowed = ', '.join(f"'{status}'" for status in statuses)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(f'ck_{table}_status'), sa.text(f'status IN ({allowed})'))


def downgrade():
    for table in reversed(list(STATUSES)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_status'), type_='check')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('stopped_at_batch')
