"""deliveries: the unique (message_id, part_index) index holds a post's parts only

An email's deliveries have no part_index; each still had an entry in this index, written once per recipient of every
send. A partial unique index keeps the same rule (a post's part is recorded once) without them.

Revision ID: d19b3e6a4c20
Revises: eddcadabe3da
Create Date: 2026-12-02 00:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd19b3e6a4c20'
down_revision = 'eddcadabe3da'
branch_labels = None
depends_on = None

PARTS_ONLY = sa.text('part_index IS NOT NULL')


def upgrade():
    # SQLite cannot drop a table's UNIQUE constraint in place: batch_alter_table recreates the table without it.
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_constraint('uq_deliveries_message_part', type_='unique')
    op.create_index(
        'uq_deliveries_message_part',
        'deliveries',
        ['message_id', 'part_index'],
        unique=True,
        postgresql_where=PARTS_ONLY,
        sqlite_where=PARTS_ONLY,
    )


def downgrade():
    op.drop_index('uq_deliveries_message_part', table_name='deliveries')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_deliveries_message_part', ['message_id', 'part_index'])
