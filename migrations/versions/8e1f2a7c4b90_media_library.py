"""media library (uploaded images with their alt text) and posts on X edited per campaign

Revision ID: 8e1f2a7c4b90
Revises: 167dba1490b8
Create Date: 2026-12-01 20:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e1f2a7c4b90'
down_revision = '167dba1490b8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'media',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_sha256', sa.String(length=64), nullable=False),
        sa.Column('original_filename', sa.String(length=255), nullable=False),
        sa.Column('alt_text', sa.Text(), nullable=False),
        sa.Column('format', sa.String(length=10), nullable=False),
        sa.Column('file_1x', sa.String(length=80), nullable=False),
        sa.Column('width_1x', sa.Integer(), nullable=False),
        sa.Column('height_1x', sa.Integer(), nullable=False),
        sa.Column('bytes_1x', sa.Integer(), nullable=False),
        sa.Column('file_2x', sa.String(length=80), nullable=False),
        sa.Column('width_2x', sa.Integer(), nullable=False),
        sa.Column('height_2x', sa.Integer(), nullable=False),
        sa.Column('bytes_2x', sa.Integer(), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("format IN ('jpeg', 'png', 'webp', 'gif')", name=op.f('ck_media_format')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_media_uploaded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_media')),
        sa.UniqueConstraint('source_sha256', name=op.f('uq_media_source_sha256')),
    )
    op.create_table(
        'post_drafts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('snippet_id', sa.Integer(), nullable=False),
        sa.Column('parts', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_post_drafts_campaign_id_campaigns'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['snippet_id'], ['snippets.id'], name=op.f('fk_post_drafts_snippet_id_snippets'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_post_drafts_updated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_post_drafts')),
        sa.UniqueConstraint('campaign_id', 'snippet_id', name=op.f('uq_post_drafts_campaign_id')),
    )


def downgrade():
    op.drop_table('post_drafts')
    op.drop_table('media')
