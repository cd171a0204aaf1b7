"""claims library: versioned claims, evidence, finding links, campaign references option

Revision ID: 35acea7a9edd
Revises: 7f3c9a1d2b64
Create Date: 2026-12-01 20:28:39.261657

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '35acea7a9edd'
down_revision = '7f3c9a1d2b64'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('library_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_library_claims_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library_claims')),
    sa.UniqueConstraint('title', name=op.f('uq_library_claims_title'))
    )
    op.create_table('finding_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('claim_version', sa.Integer(), nullable=False),
    sa.Column('how', sa.String(length=20), nullable=False),
    sa.Column('rule', sa.String(length=100), nullable=False),
    sa.Column('piece', sa.String(length=100), nullable=False),
    sa.Column('finding_text', sa.Text(), nullable=False),
    sa.Column('linked_by_id', sa.Integer(), nullable=True),
    sa.Column('linked_by_label', sa.String(length=120), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_finding_links_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['claim_id'], ['library_claims.id'], name=op.f('fk_finding_links_claim_id_library_claims'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['linked_by_id'], ['users.id'], name=op.f('fk_finding_links_linked_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finding_links')),
    sa.UniqueConstraint('campaign_id', 'fingerprint', name=op.f('uq_finding_links_campaign_id'))
    )
    with op.batch_alter_table('finding_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_links_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_links_claim_id'), ['claim_id'], unique=False)

    op.create_table('library_claim_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('wording', sa.Text(), nullable=False),
    sa.Column('variants', sa.JSON(), nullable=False),
    sa.Column('scope', sa.String(length=300), nullable=False),
    sa.Column('review_by', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('proposed_by_label', sa.String(length=120), nullable=False),
    sa.Column('proposed_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_label', sa.String(length=120), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['claim_id'], ['library_claims.id'], name=op.f('fk_library_claim_versions_claim_id_library_claims'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_library_claim_versions_decided_by_id_users')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_library_claim_versions_proposed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library_claim_versions')),
    sa.UniqueConstraint('claim_id', 'version', name=op.f('uq_library_claim_versions_claim_id'))
    )
    with op.batch_alter_table('library_claim_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_library_claim_versions_claim_id'), ['claim_id'], unique=False)

    op.create_table('claim_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('authors', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('journal', sa.String(length=300), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('citation_detail', sa.String(length=100), nullable=False),
    sa.Column('doi', sa.String(length=200), nullable=False),
    sa.Column('pmid', sa.String(length=20), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['library_claim_versions.id'], name=op.f('fk_claim_evidence_version_id_library_claim_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_evidence'))
    )
    with op.batch_alter_table('claim_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_evidence_version_id'), ['version_id'], unique=False)

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('show_references', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('show_references')

    with op.batch_alter_table('claim_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_evidence_version_id'))

    op.drop_table('claim_evidence')
    with op.batch_alter_table('library_claim_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_library_claim_versions_claim_id'))

    op.drop_table('library_claim_versions')
    with op.batch_alter_table('finding_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_links_claim_id'))
        batch_op.drop_index(batch_op.f('ix_finding_links_campaign_id'))

    op.drop_table('finding_links')
    op.drop_table('library_claims')
