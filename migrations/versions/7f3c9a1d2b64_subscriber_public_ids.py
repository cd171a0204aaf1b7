"""subscribers get a random public id for their link tokens (instead of the sequential row id); import jobs
for CSV files the worker checks and imports

Revision ID: 7f3c9a1d2b64
Revises: c0e7a1d2f3b4
Create Date: 2026-12-01 20:40:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7f3c9a1d2b64'
down_revision = 'c0e7a1d2f3b4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_id', sa.String(length=22), nullable=True))
    connection = op.get_bind()
    subscribers = sa.table('subscribers', sa.column('id', sa.Integer), sa.column('public_id', sa.String))
    while True:
        ids = connection.execute(
            sa.select(subscribers.c.id).where(subscribers.c.public_id.is_(None)).limit(1000)
        ).scalars().all()
        if not ids:
            break
        connection.execute(
            subscribers.update().where(subscribers.c.id == sa.bindparam('row_id')),
            [{'row_id': row_id, 'public_id': secrets.token_urlsafe(16)} for row_id in ids],
        )
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.alter_column('public_id', existing_type=sa.String(length=22), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_subscribers_public_id'), ['public_id'])
    op.create_table(
        'import_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('upload_id', sa.String(length=22), nullable=False),
        sa.Column('filename', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('claimed_by', sa.String(length=100), nullable=True),
        sa.Column('bytes_total', sa.Integer(), nullable=False),
        sa.Column('bytes_done', sa.Integer(), nullable=False),
        sa.Column('report', sa.Text(), nullable=True),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_import_jobs_actor_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_jobs')),
        sa.UniqueConstraint('upload_id', name=op.f('uq_import_jobs_upload_id')),
    )


def downgrade():
    op.drop_table('import_jobs')
    with op.batch_alter_table('subscribers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_subscribers_public_id'), type_='unique')
        batch_op.drop_column('public_id')
