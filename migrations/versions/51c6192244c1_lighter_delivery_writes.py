"""lighter delivery writes: no separate message_id index; deliveries leave room for in-place updates

Revision ID: 51c6192244c1
Revises: 31733105a255
Create Date: 2026-11-27 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '51c6192244c1'
down_revision = '31733105a255'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_message_id'))
    if op.get_bind().dialect.name == 'postgresql':
        # Applies to pages written from now on; existing rows keep their pages until rewritten.
        op.execute('ALTER TABLE deliveries SET (fillfactor = 50)')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE deliveries RESET (fillfactor)')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliveries_message_id'), ['message_id'], unique=False)
