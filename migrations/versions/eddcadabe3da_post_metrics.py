"""post metrics: the latest public totals of each post on X

One row per posted part (a delivery of an X message), replaced at each fetch by the worker; `gone_at` when X no
longer shows the post.

Revision ID: eddcadabe3da
Revises: 0f3602c95a81
Create Date: 2026-12-02 00:01:27.118026

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'eddcadabe3da'
down_revision = '0f3602c95a81'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('post_metrics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('likes', sa.Integer(), nullable=False),
    sa.Column('reposts', sa.Integer(), nullable=False),
    sa.Column('replies', sa.Integer(), nullable=False),
    sa.Column('quotes', sa.Integer(), nullable=False),
    sa.Column('impressions', sa.Integer(), nullable=True),
    sa.Column('fetched_at', sa.DateTime(), nullable=False),
    sa.Column('gone_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_post_metrics_delivery_id_deliveries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_metrics')),
    sa.UniqueConstraint('delivery_id', name=op.f('uq_post_metrics_delivery_id'))
    )


def downgrade():
    op.drop_table('post_metrics')
