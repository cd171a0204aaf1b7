"""send batches: what the worker knows of SendGrid's answer, and their hand-over (batch_id, send_at)

Revision ID: c18a0f5e2b71
Revises: 167dba1490b8
Create Date: 2026-12-01 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c18a0f5e2b71'
down_revision = '167dba1490b8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('send_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refused', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('handover_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('scheduled_for', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('send_batches', schema=None) as batch_op:
        batch_op.drop_column('scheduled_for')
        batch_op.drop_column('handover_id')
        batch_op.drop_column('refused')
