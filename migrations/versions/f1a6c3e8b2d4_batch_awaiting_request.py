"""send_batches.awaiting_request: a batch written in flight ahead of its request, which has not left yet

Revision ID: f1a6c3e8b2d4
Revises: e3b8c5d1a7f2
Create Date: 2026-12-02 06:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1a6c3e8b2d4'
down_revision = 'e3b8c5d1a7f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('send_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('awaiting_request', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('send_batches', schema=None) as batch_op:
        batch_op.drop_column('awaiting_request')
