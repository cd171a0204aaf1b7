"""send holds and message links: the deliverability brake, and per-link click totals

send_holds: a send's complaints or hard bounces passed their limit. message_links: the links of a sent message and
how often each was followed (click counting, off by default; nothing about the person).

Revision ID: b14d0e1a7c3f
Revises: a19c0c0a7e51
Create Date: 2026-12-01 21:40:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = 'b14d0e1a7c3f'
down_revision = 'a19c0c0a7e51'
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
    op.create_table('message_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('clicks', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_id', 'url')
    )
    with op.batch_alter_table('message_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_links_message_id'), ['message_id'], unique=False)


def downgrade():
    with op.batch_alter_table('message_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_links_message_id'))
    op.drop_table('message_links')
    with op.batch_alter_table('send_holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_send_holds_acknowledged_at'))
    op.drop_table('send_holds')
