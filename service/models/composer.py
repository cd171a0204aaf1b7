"""What a campaign's emails are made of: issues (one email each) and their sections (the campaign's own copy)."""

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.extensions import db
from service.models.content import Snippet
from service.models.media import Media

EMAIL_LAYOUTS = ("letter", "digest")


class EmailIssue(db.Model):
    """One email as composed: a one-off campaign has one, a drip or weekly campaign one per step."""

    __tablename__ = "email_issues"
    __table_args__ = (UniqueConstraint("campaign_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    position: Mapped[int]
    # May hold the placeholders of service/composer/placeholders.py; checked on save.
    subject: Mapped[str] = mapped_column(String(200), default="")
    preheader: Mapped[str] = mapped_column(String(200), default="")
    intro: Mapped[str] = mapped_column(Text, default="")
    cta_label: Mapped[str] = mapped_column(String(100), default="")
    cta_url: Mapped[str] = mapped_column(String(500), default="")
    sign_off: Mapped[str] = mapped_column(Text, default="")
    # The image at the top of the email (the Digest layout's hero; Letter shows it too), from the media library.
    hero_media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"))

    hero: Mapped[Media | None] = relationship()
    sections: Mapped[list["Section"]] = relationship(
        back_populates="issue", order_by="Section.position", cascade="all, delete-orphan"
    )


class Section(db.Model):
    """A campaign's own copy of a snippet (or new text), in Markdown. Editing it changes this campaign only."""

    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("issue_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("email_issues.id"), index=True)
    position: Mapped[int]
    heading: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # Where the text came from, and a fingerprint of the snippet's text when it was copied: a re-import that changes
    # the snippet is noticed (the fingerprints differ) and offered, never applied silently.
    source_snippet_id: Mapped[int | None] = mapped_column(ForeignKey("snippets.id", ondelete="SET NULL"), index=True)
    source_fingerprint: Mapped[str | None] = mapped_column(String(64))
    media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"))

    image: Mapped[Media | None] = relationship()
    source_snippet: Mapped[Snippet | None] = relationship()
    issue: Mapped[EmailIssue] = relationship(back_populates="sections")
