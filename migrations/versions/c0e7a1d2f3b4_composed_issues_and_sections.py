"""composed emails: a campaign's own issues and sections; a message sends an issue (or a section's post)

Every campaign's snippets are copied into sections. A one-off campaign with nothing planned yet gets one issue of all
its sections; a campaign with planned messages, or a drip or weekly one, gets one issue per old snippet, so each
planned message sends exactly what it would have sent before.

Revision ID: c0e7a1d2f3b4
Revises: 8e1f2a7c4b90
Create Date: 2026-12-01 20:30:00.000000

"""
import hashlib

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0e7a1d2f3b4'
down_revision = '8e1f2a7c4b90'
branch_labels = None
depends_on = None


def _fingerprint(heading, body):
    # The same as service.composer.sections.text_fingerprint (copied: migrations never import the app).
    return hashlib.sha256(f"{heading.strip()}\n{body.strip()}".encode("utf-8")).hexdigest()


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_layout', sa.String(length=20), server_default='letter', nullable=False))
        batch_op.add_column(sa.Column('approved_content', sa.Text(), nullable=True))
    op.create_table('email_issues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('preheader', sa.String(length=200), nullable=False),
    sa.Column('intro', sa.Text(), nullable=False),
    sa.Column('cta_label', sa.String(length=100), nullable=False),
    sa.Column('cta_url', sa.String(length=500), nullable=False),
    sa.Column('sign_off', sa.Text(), nullable=False),
    sa.Column('hero_media_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_email_issues_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['hero_media_id'], ['media.id'], name=op.f('fk_email_issues_hero_media_id_media'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_issues')),
    sa.UniqueConstraint('campaign_id', 'position', name=op.f('uq_email_issues_campaign_id'))
    )
    with op.batch_alter_table('email_issues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_issues_campaign_id'), ['campaign_id'], unique=False)
    op.create_table('sections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('heading', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('source_snippet_id', sa.Integer(), nullable=True),
    sa.Column('source_fingerprint', sa.String(length=64), nullable=True),
    sa.Column('media_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_sections_media_id_media'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['issue_id'], ['email_issues.id'], name=op.f('fk_sections_issue_id_email_issues')),
    sa.ForeignKeyConstraint(['source_snippet_id'], ['snippets.id'], name=op.f('fk_sections_source_snippet_id_snippets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sections')),
    sa.UniqueConstraint('issue_id', 'position', name=op.f('uq_sections_issue_id'))
    )
    with op.batch_alter_table('sections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sections_issue_id'), ['issue_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sections_source_snippet_id'), ['source_snippet_id'], unique=False)
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issue_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('section_id', sa.Integer(), nullable=True))

    with op.batch_alter_table('post_drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('section_id', sa.Integer(), nullable=True))

    _copy_snippets_into_sections(op.get_bind())
    # An edited post belonged to (campaign, snippet): it now belongs to the section copied from that snippet.
    op.execute(
        "UPDATE post_drafts SET section_id = (SELECT MIN(s.id) FROM sections s JOIN email_issues i ON i.id = s.issue_id"
        " WHERE i.campaign_id = post_drafts.campaign_id AND s.source_snippet_id = post_drafts.snippet_id)"
    )
    op.execute("DELETE FROM post_drafts WHERE section_id IS NULL")
    with op.batch_alter_table('post_drafts', schema=None) as batch_op:
        batch_op.drop_constraint('uq_post_drafts_campaign_id', type_='unique')
        batch_op.drop_constraint('fk_post_drafts_snippet_id_snippets', type_='foreignkey')
        batch_op.drop_column('snippet_id')
        batch_op.alter_column('section_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_post_drafts_section_id_sections'), 'sections', ['section_id'], ['id'], ondelete='CASCADE')
        batch_op.create_unique_constraint(batch_op.f('uq_post_drafts_section_id'), ['section_id'])

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint('uq_messages_campaign_id', type_='unique')
        batch_op.drop_constraint('fk_messages_snippet_id_snippets', type_='foreignkey')
        batch_op.drop_column('snippet_id')
        batch_op.alter_column('issue_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_messages_issue_id'), ['issue_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_messages_issue_id_email_issues'), 'email_issues', ['issue_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_messages_section_id_sections'), 'sections', ['section_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_messages_issue_id'), ['issue_id', 'section_id', 'channel', 'send_at'])
    op.drop_table('campaign_snippets')


def _copy_snippets_into_sections(bind):
    meta = sa.MetaData()
    campaigns = sa.Table('campaigns', meta, autoload_with=bind)
    links = sa.Table('campaign_snippets', meta, autoload_with=bind)
    snippets = sa.Table('snippets', meta, autoload_with=bind)
    issues = sa.Table('email_issues', meta, autoload_with=bind)
    sections = sa.Table('sections', meta, autoload_with=bind)
    messages = sa.Table('messages', meta, autoload_with=bind)
    planned = {row.campaign_id for row in bind.execute(sa.select(messages.c.campaign_id).distinct())}
    for campaign in bind.execute(sa.select(campaigns.c.id, campaigns.c.schedule_kind, campaigns.c.email_subject)):
        rows = bind.execute(
            sa.select(snippets.c.id, snippets.c.heading, snippets.c.body)
            .join(links, links.c.snippet_id == snippets.c.id)
            .where(links.c.campaign_id == campaign.id)
            .order_by(links.c.position)
        ).all()
        one_issue = campaign.schedule_kind == 'once' and campaign.id not in planned
        issue_id, where = None, {}
        for index, snippet in enumerate(rows):
            if issue_id is None or not one_issue:
                issue_id = bind.execute(
                    issues.insert().values(
                        campaign_id=campaign.id, position=0 if one_issue else index, subject=campaign.email_subject,
                        preheader='', intro='', cta_label='', cta_url='', sign_off='',
                    )
                ).inserted_primary_key[0]
            section_id = bind.execute(
                sections.insert().values(
                    issue_id=issue_id, position=index if one_issue else 0, heading=snippet.heading, body=snippet.body,
                    source_snippet_id=snippet.id, source_fingerprint=_fingerprint(snippet.heading, snippet.body),
                )
            ).inserted_primary_key[0]
            where.setdefault(snippet.id, (issue_id, section_id))
        for snippet_id, (issue_id, section_id) in where.items():
            chosen = (messages.c.campaign_id == campaign.id) & (messages.c.snippet_id == snippet_id)
            bind.execute(messages.update().where(chosen & (messages.c.channel == 'email')).values(issue_id=issue_id))
            bind.execute(
                messages.update().where(chosen & (messages.c.channel != 'email')).values(issue_id=issue_id, section_id=section_id)
            )


def downgrade():
    op.create_table('campaign_snippets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('snippet_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_snippets_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['snippet_id'], ['snippets.id'], name=op.f('fk_campaign_snippets_snippet_id_snippets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_snippets')),
    sa.UniqueConstraint('campaign_id', 'position', name=op.f('uq_campaign_snippets_campaign_id'))
    )
    # Sections written in Tidings (no source snippet) have no snippet to go back to: a downgrade loses them, and
    # messages of an issue without any snippet are deleted.
    bind = op.get_bind()
    bind.execute(sa.text(
        "INSERT INTO campaign_snippets (campaign_id, snippet_id, position) "
        "SELECT i.campaign_id, s.source_snippet_id, ROW_NUMBER() OVER (PARTITION BY i.campaign_id "
        "ORDER BY i.position, s.position) - 1 FROM sections s JOIN email_issues i ON i.id = s.issue_id "
        "WHERE s.source_snippet_id IS NOT NULL"
    ))
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('snippet_id', sa.Integer(), nullable=True))
    bind.execute(sa.text(
        "UPDATE messages SET snippet_id = (SELECT s.source_snippet_id FROM sections s WHERE "
        "s.id = COALESCE(messages.section_id, (SELECT MIN(f.id) FROM sections f WHERE f.issue_id = messages.issue_id)))"
    ))
    bind.execute(sa.text("DELETE FROM deliveries WHERE message_id IN (SELECT id FROM messages WHERE snippet_id IS NULL)"))
    bind.execute(sa.text("DELETE FROM send_batches WHERE message_id IN (SELECT id FROM messages WHERE snippet_id IS NULL)"))
    bind.execute(sa.text("DELETE FROM messages WHERE snippet_id IS NULL"))
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_messages_issue_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_messages_section_id_sections'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_messages_issue_id_email_issues'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_messages_issue_id'))
        batch_op.drop_column('section_id')
        batch_op.drop_column('issue_id')
        batch_op.alter_column('snippet_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key('fk_messages_snippet_id_snippets', 'snippets', ['snippet_id'], ['id'])
        batch_op.create_unique_constraint('uq_messages_campaign_id', ['campaign_id', 'snippet_id', 'channel', 'send_at'])
    with op.batch_alter_table('post_drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('snippet_id', sa.Integer(), nullable=True))
    op.execute("UPDATE post_drafts SET snippet_id = (SELECT s.source_snippet_id FROM sections s WHERE s.id = post_drafts.section_id)")
    op.execute("DELETE FROM post_drafts WHERE snippet_id IS NULL")
    with op.batch_alter_table('post_drafts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_post_drafts_section_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_post_drafts_section_id_sections'), type_='foreignkey')
        batch_op.drop_column('section_id')
        batch_op.alter_column('snippet_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key('fk_post_drafts_snippet_id_snippets', 'snippets', ['snippet_id'], ['id'], ondelete='CASCADE')
        batch_op.create_unique_constraint('uq_post_drafts_campaign_id', ['campaign_id', 'snippet_id'])
    with op.batch_alter_table('sections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sections_source_snippet_id'))
        batch_op.drop_index(batch_op.f('ix_sections_issue_id'))
    op.drop_table('sections')
    with op.batch_alter_table('email_issues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_issues_campaign_id'))
    op.drop_table('email_issues')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('approved_content')
        batch_op.drop_column('email_layout')
