"""message delivery counts: each email message keeps how many deliveries (recipients) the send ledger wrote for it,
so the campaign page, its report and home need not count a million rows; drops messages.stopped_at_batch, which
nothing sets since an uncertain batch no longer stops its message

Revision ID: e4c8a1d2b6f0
Revises: d2a7f4c1e9b3
Create Date: 2026-12-02 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4c8a1d2b6f0'
down_revision = 'd2a7f4c1e9b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_column('stopped_at_batch')
    op.execute(
        "UPDATE messages SET delivery_count = (SELECT count(*) FROM deliveries d "
        "WHERE d.message_id = messages.id AND d.channel = 'email') WHERE channel = 'email'"
    )


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stopped_at_batch', sa.Integer(), nullable=True))
        batch_op.drop_column('delivery_count')
