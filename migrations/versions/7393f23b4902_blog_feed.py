"""blog feed: feed checks, entries, recipe; articles keep their source url and lead image

Revision ID: 7393f23b4902
Revises: 51c6192244c1
Create Date: 2026-12-01 20:16:08.565724

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7393f23b4902'
down_revision = '51c6192244c1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feed_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(), nullable=False),
    sa.Column('feed_url', sa.String(length=1000), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('items_listed', sa.Integer(), nullable=False),
    sa.Column('articles_imported', sa.Integer(), nullable=False),
    sa.Column('items_failed', sa.Integer(), nullable=False),
    sa.Column('etag', sa.String(length=300), nullable=True),
    sa.Column('last_modified', sa.String(length=100), nullable=True),
    sa.CheckConstraint("outcome IN ('ok', 'not_modified', 'unreachable', 'not_a_feed', 'refused')", name=op.f('ck_feed_checks_outcome')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_checks'))
    )
    with op.batch_alter_table('feed_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_checks_checked_at'), ['checked_at'], unique=False)

    op.create_table('feed_recipes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('include_intro', sa.Boolean(), nullable=False),
    sa.Column('section_count', sa.Integer(), nullable=False),
    sa.Column('send_email', sa.Boolean(), nullable=False),
    sa.Column('send_post', sa.Boolean(), nullable=False),
    sa.Column('layout', sa.String(length=50), nullable=False),
    sa.Column('post_template', sa.String(length=100), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('send_weekday', sa.Integer(), nullable=False),
    sa.Column('send_time', sa.Time(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_feed_recipes_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_recipes'))
    )
    op.create_table('feed_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(), nullable=False),
    sa.Column('last_tried_at', sa.DateTime(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('draft_error', sa.Text(), nullable=True),
    sa.Column('notified_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('imported', 'duplicate', 'failed', 'earlier')", name=op.f('ck_feed_entries_status')),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_feed_entries_article_id_articles'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_feed_entries_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_entries')),
    sa.UniqueConstraint('url', name=op.f('uq_feed_entries_url'))
    )
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_url', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('lead_image_url', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('lead_image_alt', sa.String(length=500), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_articles_source_url'), ['source_url'])



def downgrade():
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_articles_source_url'), type_='unique')
        batch_op.drop_column('lead_image_alt')
        batch_op.drop_column('lead_image_url')
        batch_op.drop_column('source_url')

    op.drop_table('feed_entries')
    op.drop_table('feed_recipes')
    with op.batch_alter_table('feed_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_checks_checked_at'))

    op.drop_table('feed_checks')
