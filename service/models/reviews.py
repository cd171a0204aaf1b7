"""Decisions people make while reviewing a campaign: warn findings accepted with a written reason."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

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
