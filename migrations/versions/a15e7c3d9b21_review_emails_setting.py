"""users.review_emails: each staff member can turn off the review loop's emails

Revision ID: a15e7c3d9b21
Revises: b14d0e1a7c3f
Create Date: 2026-12-01 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a15e7c3d9b21'
down_revision = 'b14d0e1a7c3f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_emails', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('review_emails')
