"""Decisions people make while reviewing a campaign: warn findings accepted with a written reason, and the
comments people leave on a finding or a section (short threads)."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.extensions import db
from service.models.base import UTCDateTime, utcnow


class FindingAcceptance(db.Model):
    """A warn finding someone accepted for one campaign, and why.

    `fingerprint` identifies the finding by piece (snippet, channel, kind), rule, matched text and the sentence
    around it (see service.compliance.review.fingerprint_of): when that text changes, the acceptance no longer
    matches any finding and the new text needs a new decision.
    """

    __tablename__ = "finding_acceptances"
    __table_args__ = (UniqueConstraint("campaign_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(100))
    # Where and what, as the person saw it: "Email 1 body", and the flagged words.
    piece: Mapped[str] = mapped_column(String(100))
    finding_text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_by_label: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewComment(db.Model):
    """A comment on one finding or one section of a campaign, or a reply in its thread.

    A thread is a comment (`parent_id` None) and its replies, oldest first; a reply carries its thread's target, so
    exactly one of `fingerprint` (a finding, see FindingAcceptance) and `section_id` is set. A finding's comments
    stay with its fingerprint: when the words change, the thread is still on the campaign page, by its label.
    """

    __tablename__ = "review_comments"
    __table_args__ = (CheckConstraint("(fingerprint IS NULL) <> (section_id IS NULL)", name="one_target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("review_comments.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"), index=True)
    # What it is about, as the commenter saw it: "Email 1 body: safety-minimised “well tolerated”".
    target_label: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_label: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    replies: Mapped[list["ReviewComment"]] = relationship(order_by="ReviewComment.id", passive_deletes=True)

    @property
    def target(self) -> str:
        """ "finding:<fingerprint>" or "section:<id>": where the page shows the thread."""
        return f"finding:{self.fingerprint}" if self.fingerprint else f"section:{self.section_id}"
