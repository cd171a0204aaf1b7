"""The claims library: approved claims with their evidence, four eyes on every change, audit-logged.

This module owns the statuses of claim versions: "proposed" (waiting for a second person), "approved" (the one
that matches sentences, until its review-by date passes), "rejected", and "superseded" (an approved version a
newer approved one replaced). A claim's first version and every change are proposed by one person and approved
by another reviewer or admin; nobody approves what they proposed. Every decision is in the audit log.

It also records reviewers' links from findings to library claims (`link_finding`) and gives what a campaign's
email footer cites (`references_for`).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from service import audit
from service.compliance.library_match import ClaimLibrary, LibraryEntry
from service.models import (
    Campaign,
    ClaimEvidence,
    FindingLink,
    LibraryClaim,
    LibraryClaimVersion,
    User,
)
from service.models.base import utcnow
from service.models.claims_library import EVIDENCE_KINDS

EVIDENCE_KIND_LABELS = {
    "randomised-trial": "Randomised trial",
    "meta-analysis": "Meta-analysis",
    "systematic-review": "Systematic review",
    "fda-label": "FDA label",
    "guidance": "Guidance",
    "cohort-study": "Cohort study",
}
# How a link was made: a reviewer confirmed a close match, chose the claim by hand, or the wording was exact.
LINK_WAYS = ("confirmed", "by hand", "exact")


class LibraryError(ValueError):
    """A library change cannot be made; `errors` maps form fields to messages for a person ("" for the form)."""

    def __init__(self, errors: dict[str, str] | str):
        self.errors = {"": errors} if isinstance(errors, str) else errors
        super().__init__("; ".join(self.errors.values()))


@dataclass(frozen=True)
class EvidenceInput:
    kind: str
    title: str
    authors: str = ""
    journal: str = ""
    year: int | None = None
    citation_detail: str = ""
    doi: str = ""
    pmid: str = ""
    url: str = ""


@dataclass(frozen=True)
class ClaimInput:
    title: str
    wording: str
    scope: str
    review_by: date | None
    variants: tuple[str, ...] = ()
    note: str = ""
    evidence: tuple[EvidenceInput, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Reference:
    """One numbered note for an email footer."""

    number: int
    claim_title: str
    citation: str
    url: str


def clinic_today() -> date:
    """The date review-by dates are compared with: a claim whose review-by date is today still matches today.

    UTC, not the clinic's zone: an expiry a few hours early errs on the side of asking a person again.
    """
    return datetime.now(UTC).date()


# --- reading -------------------------------------------------------------------------------------------------


def format_citation(evidence: ClaimEvidence | EvidenceInput) -> str:
    """Vancouver-style: authors. Title. Journal. Year;detail. doi:... PMID: ..."""
    parts = [evidence.authors.rstrip(".") + "." if evidence.authors else "", evidence.title.rstrip(".") + "."]
    source = evidence.journal.rstrip(".")
    if evidence.year:
        source = f"{source}. {evidence.year}" if source else str(evidence.year)
        if evidence.citation_detail:
            source += f";{evidence.citation_detail}"
    if source:
        parts.append(source + ".")
    if evidence.doi:
        parts.append(f"doi:{evidence.doi}")
    if evidence.pmid:
        parts.append(f"PMID: {evidence.pmid}")
    return " ".join(part for part in parts if part)


def evidence_url(evidence: ClaimEvidence) -> str:
    if evidence.url:
        return evidence.url
    if evidence.doi:
        return f"https://doi.org/{evidence.doi}"
    return f"https://pubmed.ncbi.nlm.nih.gov/{evidence.pmid}/" if evidence.pmid else ""


def is_live(version: LibraryClaimVersion | None, today: date) -> bool:
    """Approved, its claim not retired, and its review-by date not passed: it matches sentences."""
    return (
        version is not None
        and version.status == "approved"
        and not version.claim.retired
        and version.review_by >= today
    )


def live_version(claim: LibraryClaim, today: date) -> LibraryClaimVersion | None:
    version = claim.approved
    return version if is_live(version, today) else None


def entry_for(version: LibraryClaimVersion) -> LibraryEntry:
    main = version.evidence[0] if version.evidence else None
    return LibraryEntry(
        claim_id=version.claim_id,
        version=version.version,
        wording=version.wording,
        variants=tuple(version.variants or ()),
        scope=version.scope,
        reference=format_citation(main) if main else "",
    )


def all_claims(session: Session) -> list[LibraryClaim]:
    return list(session.scalars(select(LibraryClaim).order_by(LibraryClaim.title)))


def claim_library(session: Session, today: date | None = None) -> ClaimLibrary:
    """The live claims, ready for `check_claims(library=...)`."""
    today = today or clinic_today()
    versions = session.scalars(
        select(LibraryClaimVersion)
        .join(LibraryClaim)
        .where(
            LibraryClaimVersion.status == "approved",
            LibraryClaimVersion.review_by >= today,
            LibraryClaim.retired.is_(False),
        )
        .order_by(LibraryClaim.id)
    )
    return ClaimLibrary([entry_for(version) for version in versions])


# --- proposing and deciding ------------------------------------------------------------------------------------


def validate(data: ClaimInput, today: date) -> dict[str, str]:
    errors = {}
    if not data.title.strip():
        errors["title"] = "Give the claim a short name reviewers will recognise."
    elif len(data.title.strip()) > 200:
        errors["title"] = "Keep the name under 200 characters."
    if not data.wording.strip():
        errors["wording"] = "Write the approved wording: the sentence as it may appear in an email or post."
    if not data.scope.strip():
        errors["scope"] = "Say what the claim may be said about (for example: cocaine use disorder)."
    if data.review_by is None:
        errors["review_by"] = "Give a review-by date (YYYY-MM-DD)."
    elif data.review_by <= today:
        errors["review_by"] = "The review-by date must be in the future."
    if not data.evidence:
        errors["evidence"] = "A library claim needs its evidence: at least one source with a title."
    for evidence in data.evidence:
        if evidence.kind not in EVIDENCE_KINDS:
            errors["evidence_kind"] = "Choose what kind of evidence this is."
        if not (evidence.doi or evidence.pmid or evidence.url):
            errors["evidence_link"] = "Give the source's DOI, PMID or a link, so a reviewer can check it."
    return errors


def propose_claim(session: Session, data: ClaimInput, actor: User, today: date | None = None) -> LibraryClaimVersion:
    """A new library claim, proposed as version 1; another reviewer must approve it before it matches."""
    today = today or clinic_today()
    errors = validate(data, today)
    if not errors.get("title") and session.scalar(select(LibraryClaim).where(LibraryClaim.title == data.title.strip())):
        errors["title"] = "A library claim with this name exists; propose a change to it instead."
    if errors:
        raise LibraryError(errors)
    claim = LibraryClaim(title=data.title.strip(), created_by_id=actor.id)
    session.add(claim)
    version = _new_version(claim, 1, data, actor)
    session.flush()
    audit.record(session, "library:proposed", actor=actor, detail=f"{claim.title} v1: {version.wording}")
    return version


def propose_change(
    session: Session, claim: LibraryClaim, data: ClaimInput, actor: User, today: date | None = None
) -> LibraryClaimVersion:
    """A new version of `claim`; the approved one keeps matching until a second person approves this one."""
    today = today or clinic_today()
    if claim.pending is not None:
        raise LibraryError("A change to this claim is already waiting for approval; approve or reject it first.")
    errors = validate(data, today)
    errors.pop("title", None)
    if not data.note.strip():
        errors["note"] = "Say what changed and why, for the person who approves it."
    if errors:
        raise LibraryError(errors)
    highest = select(func.max(LibraryClaimVersion.version)).where(LibraryClaimVersion.claim_id == claim.id)
    number = (session.scalar(highest) or 0) + 1
    version = _new_version(claim, number, data, actor)
    session.flush()
    audit.record(
        session, "library:change-proposed", actor=actor, detail=f"{claim.title} v{number}: {data.note.strip()}"
    )
    return version


def _new_version(claim: LibraryClaim, number: int, data: ClaimInput, actor: User) -> LibraryClaimVersion:
    version = LibraryClaimVersion(
        version=number,
        status="proposed",
        wording=" ".join(data.wording.split()),
        variants=[" ".join(variant.split()) for variant in data.variants if variant.strip()],
        scope=data.scope.strip(),
        review_by=data.review_by,
        note=data.note.strip(),
        proposed_by_id=actor.id,
        proposed_by_label=actor.name,
        proposed_at=utcnow(),
    )
    version.evidence = [
        ClaimEvidence(
            kind=item.kind,
            title=item.title.strip(),
            authors=item.authors.strip(),
            journal=item.journal.strip(),
            year=item.year,
            citation_detail=item.citation_detail.strip(),
            doi=item.doi.strip(),
            pmid=item.pmid.strip(),
            url=item.url.strip(),
        )
        for item in data.evidence
    ]
    claim.versions.append(version)
    return version


def approve_version(session: Session, version: LibraryClaimVersion, actor: User, note: str = "") -> None:
    """Four eyes: a reviewer or admin other than the proposer approves; the previous approved version retires."""
    _check_decider(version, actor)
    previous = version.claim.approved
    if previous is not None:
        previous.status = "superseded"
    version.status = "approved"
    _decided(version, actor, note)
    session.flush()
    audit.record(session, "library:approved", actor=actor, detail=f"{version.claim.title} v{version.version}")


def reject_version(session: Session, version: LibraryClaimVersion, actor: User, note: str) -> None:
    _check_decider(version, actor)
    if not note.strip():
        raise LibraryError({"decision_note": "Say why, so the proposer can fix it."})
    version.status = "rejected"
    _decided(version, actor, note)
    audit.record(
        session, "library:rejected", actor=actor, detail=f"{version.claim.title} v{version.version}: {note.strip()}"
    )


def retire_claim(session: Session, claim: LibraryClaim, actor: User, reason: str) -> None:
    """The claim stops matching at once; links to it no longer back any finding."""
    if not actor.can_review():
        raise LibraryError("Only reviewers and admins can retire a library claim.")
    if not reason.strip():
        raise LibraryError({"reason": "Say why the claim is retired."})
    claim.retired = True
    audit.record(session, "library:retired", actor=actor, detail=f"{claim.title}: {reason.strip()}")


def _check_decider(version: LibraryClaimVersion, actor: User) -> None:
    if not actor.can_review():
        raise LibraryError("Only reviewers and admins can decide on library claims.")
    if version.status != "proposed":
        raise LibraryError(f"This version is {version.status}, not waiting for a decision.")
    if version.proposed_by_id == actor.id:
        raise LibraryError("You proposed this version; another reviewer must approve it (four eyes).")


def _decided(version: LibraryClaimVersion, actor: User, note: str) -> None:
    version.decided_by_id, version.decided_by_label = actor.id, actor.name
    version.decided_at, version.decision_note = utcnow(), note.strip()


# --- links from findings ---------------------------------------------------------------------------------------


def links_of(session: Session, campaign: Campaign) -> dict[str, FindingLink]:
    rows = session.scalars(select(FindingLink).where(FindingLink.campaign_id == campaign.id))
    return {row.fingerprint: row for row in rows}


def live_links(session: Session, campaign: Campaign, today: date | None = None) -> dict[str, FindingLink]:
    """The campaign's links whose claim is live now: the findings they back pass."""
    today = today or clinic_today()
    return {key: link for key, link in links_of(session, campaign).items() if live_version(link.claim, today)}


def record_link(
    session: Session,
    campaign: Campaign,
    *,
    fingerprint: str,
    rule: str,
    piece: str,
    finding_text: str,
    claim: LibraryClaim,
    actor: User | None,
    how: str,
    today: date | None = None,
) -> FindingLink:
    """Record that a finding is backed by `claim` (audit-logged); the claim must be live."""
    if how not in LINK_WAYS:
        raise ValueError(f"how must be one of {', '.join(LINK_WAYS)}, not {how!r}")
    version = live_version(claim, today or clinic_today())
    if version is None:
        raise LibraryError("That library claim is not approved and current; it cannot back a finding.")
    link = session.scalar(
        select(FindingLink).where(FindingLink.campaign_id == campaign.id, FindingLink.fingerprint == fingerprint)
    )
    if link is None:
        link = FindingLink(campaign_id=campaign.id, fingerprint=fingerprint)
    link.claim_id, link.claim_version, link.how = claim.id, version.version, how
    link.rule, link.piece, link.finding_text = rule, piece, finding_text
    link.linked_by_id = actor.id if actor else None
    link.linked_by_label = actor.name if actor else "system"
    link.at = utcnow()
    session.add(link)
    audit.record(
        session,
        "finding:linked",
        actor=actor,
        campaign=campaign,
        detail=f"{piece}: {rule} \u201c{finding_text}\u201d \u2192 {claim.title} v{version.version} ({how})",
    )
    return link


def clear_stale_links(session: Session, campaign: Campaign, fingerprints: Iterable[str]) -> int:
    """Drop links whose finding is no longer in the campaign's text."""
    current = set(fingerprints)
    stale = [link for key, link in links_of(session, campaign).items() if key not in current]
    for link in stale:
        session.delete(link)
    return len(stale)


def references_for(campaign: Campaign, today: date | None = None) -> list[Reference]:
    """Numbered notes for the campaign's email footer: the evidence of each live claim its findings link to.

    Empty unless the campaign's `show_references` option is on. One note per claim, numbered in the order the
    claims were linked. For the email layouts to render (templates/email/_references.html and .txt).
    """
    session = object_session(campaign)
    if session is None or not campaign.show_references:
        return []
    today = today or clinic_today()
    links = sorted(live_links(session, campaign, today).values(), key=lambda link: (link.at, link.id or 0))
    references, seen = [], set()
    for link in links:
        version = live_version(link.claim, today)
        if version is None or link.claim_id in seen or not version.evidence:
            continue
        seen.add(link.claim_id)
        evidence = version.evidence[0]
        citation = format_citation(evidence)
        references.append(Reference(len(references) + 1, link.claim.title, citation, evidence_url(evidence)))
    return references


# --- the shipped seed entries -----------------------------------------------------------------------------------

SEED_PATH = Path(__file__).with_name("library_seed.yaml")
SEED_LABEL = "Tidings seed (citations checked)"
SEED_REVIEW_DAYS = 365


def seed_inputs(path: Path = SEED_PATH, today: date | None = None) -> list[ClaimInput]:
    today = today or clinic_today()
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        ClaimInput(
            title=entry["title"],
            wording=entry["wording"],
            variants=tuple(entry.get("variants") or ()),
            scope=" ".join(entry["scope"].split()),
            review_by=today + timedelta(days=SEED_REVIEW_DAYS),
            note="Shipped with Tidings.",
            evidence=tuple(_evidence_input(item) for item in entry["evidence"]),
        )
        for entry in data["claims"]
    ]


def _evidence_input(item: dict) -> EvidenceInput:
    fields = {key: value if key == "year" else " ".join(str(value).split()) for key, value in item.items()}
    return EvidenceInput(**fields)


def seed_library(session: Session, today: date | None = None) -> list[str]:
    """Add the shipped entries that are missing, approved, due for review in a year; returns the titles added.

    The team checked these citations when it wrote them (see library_seed.yaml), so they are loaded approved:
    the audit log records "library:seeded", and a reviewer can retire or change any of them as usual.
    """
    today = today or clinic_today()
    added = []
    for data in seed_inputs(today=today):
        if session.scalar(select(LibraryClaim).where(LibraryClaim.title == data.title)):
            continue
        errors = validate(data, today)
        if errors:
            raise LibraryError(errors)
        claim = LibraryClaim(title=data.title)
        session.add(claim)
        version = _new_version(claim, 1, data, _SeedActor())
        version.status = "approved"
        version.decided_by_label, version.decided_at = SEED_LABEL, utcnow()
        session.flush()
        audit.record(session, "library:seeded", detail=f"{claim.title} v1")
        added.append(claim.title)
    return added


class _SeedActor:
    id = None
    name = SEED_LABEL
