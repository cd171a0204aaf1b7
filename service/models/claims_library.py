"""The claims library: approved health claims, each version with its evidence, and links from findings to them.

A claim (`LibraryClaim`) is the stable identity reviewers link to; its wording, variants, scope, review-by date
and evidence live in versions (`LibraryClaimVersion`). A version is proposed by one person and approved by
another (four eyes); approving it supersedes the claim's previous approved version. Only the approved version
whose review-by date has not passed matches sentences. Statuses are owned by service/compliance/library.py.
"""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.extensions import db
from service.models.base import UTCDateTime, utcnow

VERSION_STATUSES = ("proposed", "approved", "rejected", "superseded")
EVIDENCE_KINDS = ("randomised-trial", "meta-analysis", "systematic-review", "fda-label", "guidance", "cohort-study")


class LibraryClaim(db.Model):
    __tablename__ = "library_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A short name reviewers know it by ("Dakwar 2019: cocaine abstinence").
    title: Mapped[str] = mapped_column(String(200), unique=True)
    retired: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list["LibraryClaimVersion"]] = relationship(
        back_populates="claim", order_by="LibraryClaimVersion.version", cascade="all, delete-orphan"
    )

    @property
    def approved(self) -> "LibraryClaimVersion | None":
        return next((version for version in self.versions if version.status == "approved"), None)

    @property
    def pending(self) -> "LibraryClaimVersion | None":
        return next((version for version in self.versions if version.status == "proposed"), None)


class LibraryClaimVersion(db.Model):
    __tablename__ = "library_claim_versions"
    __table_args__ = (UniqueConstraint("claim_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("library_claims.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    wording: Mapped[str] = mapped_column(Text)
    # Other accepted wordings of the same claim, one per entry.
    variants: Mapped[list[str]] = mapped_column(JSON, default=list)
    # What the claim may be said about: "cocaine use disorder", "treatment-resistant depression (esketamine only)".
    scope: Mapped[str] = mapped_column(String(300))
    review_by: Mapped[date] = mapped_column(Date)
    # Why this version was proposed (what changed), and the approver's or rejecter's comment.
    note: Mapped[str] = mapped_column(Text, default="")
    decision_note: Mapped[str] = mapped_column(Text, default="")
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_by_label: Mapped[str] = mapped_column(String(120), default="")
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_label: Mapped[str] = mapped_column(String(120), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    claim: Mapped[LibraryClaim] = relationship(back_populates="versions")
    evidence: Mapped[list["ClaimEvidence"]] = relationship(
        back_populates="version", order_by="ClaimEvidence.id", cascade="all, delete-orphan"
    )


class ClaimEvidence(db.Model):
    """One source backing a claim version, as a reader of the reference would cite it."""

    __tablename__ = "claim_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("library_claim_versions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    authors: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text)
    journal: Mapped[str] = mapped_column(String(300), default="")
    year: Mapped[int | None]
    # Volume, issue and pages as printed ("176(11):923-930").
    citation_detail: Mapped[str] = mapped_column(String(100), default="")
    doi: Mapped[str] = mapped_column(String(200), default="")
    pmid: Mapped[str] = mapped_column(String(20), default="")
    url: Mapped[str] = mapped_column(String(500), default="")

    version: Mapped[LibraryClaimVersion] = relationship(back_populates="evidence")


class FindingLink(db.Model):
    """A reviewer's decision that a finding of one campaign is backed by a library claim.

    `fingerprint` identifies the finding as acceptances do (service.compliance.review.fingerprint_of); the link
    counts only while the claim has a live approved version, so an expired or retired claim flags it again.
    """

    __tablename__ = "finding_links"
    __table_args__ = (UniqueConstraint("campaign_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    claim_id: Mapped[int] = mapped_column(ForeignKey("library_claims.id", ondelete="CASCADE"), index=True)
    # The version the reviewer saw when linking, and how: "confirmed" (a close match) or "by hand".
    claim_version: Mapped[int] = mapped_column(default=1)
    how: Mapped[str] = mapped_column(String(20), default="confirmed")
    rule: Mapped[str] = mapped_column(String(100))
    piece: Mapped[str] = mapped_column(String(100))
    finding_text: Mapped[str] = mapped_column(Text)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    linked_by_label: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    claim: Mapped[LibraryClaim] = relationship()
