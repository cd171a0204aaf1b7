"""lists: trigram search of subscribers (PostgreSQL), archived campaigns and articles

Revision ID: c15e2a7b9d31
Revises: a15e7c3d9b21
Create Date: 2026-12-01 21:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c15e2a7b9d31'
down_revision = 'a15e7c3d9b21'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.create_index(
            'ix_subscribers_email_trgm', ['email'], unique=False,
            postgresql_using='gin', postgresql_ops={'email': 'gin_trgm_ops'},
        )
        batch_op.create_index(
            'ix_subscribers_first_name_trgm', ['first_name'], unique=False,
            postgresql_using='gin', postgresql_ops={'first_name': 'gin_trgm_ops'},
        )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.drop_index('ix_subscribers_first_name_trgm')
        batch_op.drop_index('ix_subscribers_email_trgm')
