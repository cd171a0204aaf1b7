"""send holds: the deliverability brake (a send's complaints or hard bounces passed their limit)

Revision ID: b14d0e1a7c3f
Revises: 167dba1490b8
Create Date: 2026-12-01 21:40:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'b14d0e1a7c3f'
down_revision = '167dba1490b8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('send_holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('held_at', sa.DateTime(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('acknowledgement', sa.String(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_id')
    )
    with op.batch_alter_table('send_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_send_holds_acknowledged_at'), ['acknowledged_at'], unique=False)


def downgrade():
    with op.batch_alter_table('send_holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_send_holds_acknowledged_at'))
    op.drop_table('send_holds')
