"""Reviewing a campaign: the claims check run on everything it will send, exactly as it will be sent.

`review_campaign` renders each issue's email and each section's post parts with the builders the worker sends from
(`service.outgoing`: `outgoing_email_for`, `thread_parts_for`) and checks them piece by piece: the subject (context
"subject"), the preheader (context "subject": an inbox shows it beside the subject), the HTML body (image alt texts
included) as a reader sees it (`html_to_text`, context "body"), the links in the HTML (`check_links`), each post part
(context "post"), and the required elements on the rendered email, HTML part and plain-text part alike.
Per-recipient placeholders are filled as for a representative recipient (subscriber id 0, no first name), so the
unsubscribe links look exactly like real ones: `{PUBLIC_BASE_URL}/unsubscribe/<signed token>`.

A campaign passes when every block finding is settled and every warn finding has been accepted with a written
reason (`FindingAcceptance`); `submission_check` is that rule in the shape `lifecycle.submit_for_review` takes,
and `require_passing_check` applies it again at approval.

The claims library. A finding of a substantiable rule (an efficacy, speed, safety or study claim; never a cure,
a guarantee, "no side effects", an approval that does not exist, stopping other care, suicide prevention or
superiority over a named treatment) is settled by a live library claim: automatically when its sentence is the
claim's approved wording, or when a reviewer links it (confirming a close match the check suggests, or choosing
a claim by hand; `link_finding`). A link counts only while its claim is approved and before its review-by date.

Configuration versus content. Two required elements depend on settings, not on the campaign's words: the postal
address (the sample `PLACEHOLDER_POSTAL_ADDRESS` is not a real one) and an HTTPS one-click unsubscribe URL
(`PUBLIC_BASE_URL`). Decision:
- When email really goes out (EMAIL_CHANNEL is not "outbox"), both are block findings on every email, so nothing
  can be submitted or approved until the settings are fixed; `send_time_problem` says the same for a worker to
  refuse a send whose settings were changed after approval.
- With EMAIL_CHANNEL=outbox (development, demos, tests) nothing reaches a reader, so they are shown as notices
  on the review page ("set CLINIC_POSTAL_ADDRESS before real sends") and do not block. This keeps `make run`'s
  demo campaign, reviewed with the sample address, going through review and into the outbox. The address is
  still required to appear in the footer: only its being the sample is relaxed.
"""

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service import audit
from service.campaigns import lifecycle
from service.campaigns.lifecycle import LifecycleError, SubmissionCheck
from service.compliance.check import (
    ClinicIdentity,
    Finding,
    check_claims,
    check_links,
    check_required_elements,
    html_to_text,
    sentence_spans,
)
from service.compliance.library import (
    LibraryError,
    claim_library,
    clear_stale_links,
    clinic_today,
    live_links,
    live_version,
    record_link,
)
from service.compliance.library_match import ClaimLibrary
from service.compliance.setup import strict_setup, uses_placeholder_address
from service.media.urls import media_base_url
from service.models import Campaign, FindingAcceptance, LibraryClaim, Section, User
from service.models.base import utcnow
from service.outgoing.email import outgoing_email_for, recipient_values
from service.outgoing.links import unsubscribe_url
from service.outgoing.posts import thread_parts_for
from service.rendering.clinic import ClinicInfo
from service.rendering.email import UNSUBSCRIBE_URL
from service.settings import PLACEHOLDER_POSTAL_ADDRESS

# What a piece of a campaign is: the email's subject, its HTML body as text, its plain-text part (checked for the
# required elements only: its words are the HTML body's), the links in its HTML, or one part of a post/thread.
PIECE_KINDS = ("subject", "preheader", "body", "text", "links", "post")
REPRESENTATIVE_SUBSCRIBER_ID = 0
PLACEHOLDER_NOTICE = (
    "Placeholder address: the clinic's postal address is still the sample address. Set CLINIC_POSTAL_ADDRESS "
    "before real sends (email goes to the outbox here, so this does not block)."
)
NOT_HTTPS_NOTICE = (
    "The one-click unsubscribe link is not HTTPS. Set PUBLIC_BASE_URL to the https:// address before real sends "
    "(email goes to the outbox here, so this does not block)."
)


class ReviewError(ValueError):
    """A review decision cannot be recorded; the message says why, for a person."""


@dataclass(frozen=True)
class Piece:
    """One checked piece of what a campaign sends; finding offsets index into `text`."""

    issue_index: int  # which email (a one-off has one; a drip one per step)
    # What the piece belongs to, for fingerprints: the issue (email pieces) or the section (post parts).
    content_id: int
    channel: str  # "email" | "x"
    kind: str  # one of PIECE_KINDS
    text: str
    findings: tuple[Finding, ...]
    post_index: int | None = None  # post parts: which section of the campaign the post is made from (0-based)
    part: int | None = None  # post parts: 1-based position in the thread
    parts: int | None = None  # post parts: how many parts the thread has

    @property
    def label(self) -> str:
        if self.kind == "post":
            number = (self.post_index or 0) + 1
            return f"Post {number}" + (f", part {self.part} of {self.parts}" if self.parts and self.parts > 1 else "")
        number = self.issue_index + 1
        names = {
            "subject": "subject",
            "preheader": "preheader",
            "body": "body",
            "text": "plain-text part",
            "links": "links",
        }
        return f"Email {number} {names[self.kind]}"


@dataclass(frozen=True)
class ReviewedFinding:
    piece: Piece
    finding: Finding
    # Identifies a finding across reviews while its text stays the same (see fingerprint_of).
    fingerprint: str

    @property
    def linkable(self) -> bool:
        """A library claim can back it; never-go-out findings (cures, guarantees ...) always block."""
        return self.finding.substantiable

    @property
    def sentence(self) -> str:
        return _sentence_around(self.piece.text, self.finding)

    def backed(self, linked: Iterable[str] = ()) -> bool:
        """A live library claim backs it: its sentence is an approved wording, or a reviewer linked it."""
        return self.linkable and (self.finding.resolved or self.fingerprint in set(linked))

    @property
    def problem(self) -> str:
        quoted = f" \u201c{self.finding.text}\u201d" if self.finding.text else ""
        return f"{self.piece.label}: {self.finding.rule}{quoted}"


@dataclass(frozen=True)
class CampaignReview:
    pieces: tuple[Piece, ...]
    # Setup problems that block nothing in outbox mode (see the module docstring); shown above the findings.
    notices: tuple[str, ...] = ()
    # What the reviewer sees, as one hash (see content_hash_of): the approve form carries it back.
    content_hash: str = ""

    @property
    def findings(self) -> list[ReviewedFinding]:
        return [
            ReviewedFinding(piece, finding, fingerprint_of(piece, finding))
            for piece in self.pieces
            for finding in piece.findings
        ]

    @property
    def blocking(self) -> list[ReviewedFinding]:
        return [item for item in self.findings if item.finding.severity == "block"]

    @property
    def warnings(self) -> list[ReviewedFinding]:
        return [item for item in self.findings if item.finding.severity == "warn"]

    def warning(self, fingerprint: str) -> ReviewedFinding | None:
        return next((item for item in self.warnings if item.fingerprint == fingerprint), None)

    def occurrences(self, fingerprint: str, settled: Iterable[str] = ()) -> list[ReviewedFinding]:
        """Every warning that is the same warning as `fingerprint`'s: the same rule matching the same words (case
        and spacing aside) anywhere in the campaign, emails and posts alike; one per fingerprint, that one first,
        leaving out those `settled` names (accepted, or backed by a library link). Empty when it is no warning."""
        item = self.warning(fingerprint)
        if item is None:
            return []
        settled, seen, same = set(settled), set(), []
        for other in (item, *self.warnings):
            if other.fingerprint in seen or not _same_warning(other, item):
                continue
            seen.add(other.fingerprint)
            if other.fingerprint not in settled and not other.backed():
                same.append(other)
        return same

    def unsettled_blocking(self, linked: Iterable[str] = ()) -> list[ReviewedFinding]:
        linked = set(linked)
        return [item for item in self.blocking if not item.backed(linked)]

    def finding(self, fingerprint: str) -> ReviewedFinding | None:
        return next((item for item in self.findings if item.fingerprint == fingerprint), None)

    def problems(self, accepted: Iterable[str] = (), linked: Iterable[str] = ()) -> list[str]:
        """Why the campaign cannot go forward: block findings no library claim backs, and warn findings nobody
        accepted with a reason and no library claim backs. `linked`: fingerprints of findings a live library
        claim backs (a reviewer's link)."""
        accepted, linked = set(accepted), set(linked)
        problems = [
            item.problem + (": link it to a library claim or rewrite it" if item.linkable else "")
            for item in self.unsettled_blocking(linked)
        ]
        problems += [
            f"{item.problem} needs a library claim or a written reason to accept it"
            for item in self.warnings
            if item.fingerprint not in accepted and not item.backed(linked)
        ]
        return list(dict.fromkeys(problems))  # the same footer or subject in every email: say it once


# --- checking what goes out --------------------------------------------------------------------------------


def clinic_identity(config: Mapping, *, strict: bool) -> ClinicIdentity:
    # Not strict: the sample address counts as an address (it must still be in the footer).
    return ClinicIdentity(
        legal_name=config["CLINIC_LEGAL_NAME"] or "",
        postal_address=config["CLINIC_POSTAL_ADDRESS"] or "",
        placeholder_address=PLACEHOLDER_POSTAL_ADDRESS if strict else "",
    )


def representative_substitutions(config: Mapping) -> dict[str, str]:
    """The per-recipient values a provider would fill in, for a recipient with no first name."""
    link = unsubscribe_url(ClinicInfo.from_config(config), config["SECRET_KEY"], REPRESENTATIVE_SUBSCRIBER_ID)
    return recipient_values(link, "")


def _fill(text: str, substitutions: Mapping[str, str]) -> str:
    for key, value in substitutions.items():
        text = text.replace(key, value)
    return text


def review_campaign(campaign: Campaign, config: Mapping, library: ClaimLibrary | None = None) -> CampaignReview:
    """Check every email and post the campaign will send, as rendered for sending with these settings.

    library: the live claims (`library.claim_library(session)`); findings whose sentence matches one carry it.
    """
    strict = strict_setup(config)
    clinic = clinic_identity(config, strict=strict)
    substitutions = representative_substitutions(config)
    pieces: list[Piece] = []
    notices: list[str] = []
    if not strict and campaign.send_email and uses_placeholder_address(config):
        notices.append(PLACEHOLDER_NOTICE)
    post_index = 0
    for index, issue in enumerate(campaign.issues):
        if campaign.send_email:
            pieces.extend(
                _email_pieces(campaign, issue, index, config, clinic, substitutions, strict, notices, library)
            )
        if campaign.send_post:
            for section in issue.sections:
                pieces.extend(_post_pieces(campaign, section, index, post_index, config, library))
                post_index += 1
    return CampaignReview(
        pieces=tuple(pieces),
        notices=tuple(dict.fromkeys(notices)),
        content_hash=content_hash_of(pieces, substitutions[UNSUBSCRIBE_URL]),
    )


def content_hash_of(pieces: Iterable[Piece], unsubscribe_link: str) -> str:
    """SHA-256 of every rendered piece: each subject, preheader, email body, plain-text part, link list and post
    part, in order. The representative unsubscribe link is put back to its placeholder first: its token carries the
    time it was made, which changes every second while the words do not."""
    digest = hashlib.sha256()
    for piece in pieces:
        text = piece.text.replace(unsubscribe_link, UNSUBSCRIBE_URL)
        digest.update(f"{piece.content_id}|{piece.channel}|{piece.kind}|{piece.part}|{len(text)}|".encode())
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()


def _email_pieces(campaign, issue, index, config, clinic, substitutions, strict, notices, library) -> list[Piece]:
    email = outgoing_email_for(campaign, issue, ClinicInfo.from_config(config), media_base=media_base_url(config))
    html = _fill(email.html, substitutions)
    plain = _fill(email.text, substitutions)
    body = html_to_text(html)
    one_click = _fill(email.headers.get("List-Unsubscribe", ""), substitutions).strip().strip("<>")
    written = "\n".join(
        [issue.intro, *(f"{section.heading}\n{section.body}" for section in issue.sections), issue.sign_off]
    )

    def required(text: str, html_part: str | None) -> list[Finding]:
        findings = check_required_elements(text, html=html_part, clinic=clinic, list_unsubscribe_url=one_click)
        if not strict and one_click and not one_click.lower().startswith("https://"):
            notices.append(NOT_HTTPS_NOTICE)
            findings = [finding for finding in findings if finding.rule != "required-list-unsubscribe"]
        return findings

    def piece(kind: str, text: str, findings: list[Finding]) -> Piece:
        return Piece(index, issue.id, "email", kind, text, tuple(findings))

    subject = _fill(email.subject, substitutions)
    pieces = [piece("subject", subject, check_claims(subject, context="subject", library=library))]
    if issue.preheader:
        pieces.append(
            piece("preheader", issue.preheader, check_claims(issue.preheader, context="subject", library=library))
        )
    return pieces + [
        piece(
            "body", body, check_claims(body, context="body", written=written, library=library) + required(body, html)
        ),
        piece("text", plain, required(plain, None)),
        piece("links", html, check_links(html)),
    ]


def _post_pieces(
    campaign: Campaign, section: Section, index: int, post_index: int, config: Mapping, library
) -> list[Piece]:
    parts = thread_parts_for(campaign, section, ClinicInfo.from_config(config))
    return [
        Piece(
            index,
            section.id,
            "x",
            "post",
            text,
            tuple(check_claims(text, context="post", library=library)),
            post_index,
            number,
            len(parts),
        )
        for number, text in enumerate(parts, start=1)
    ]


def fingerprint_of(piece: Piece, finding: Finding) -> str:
    """The same rule matching the same words in the same sentence of the same piece: the same fingerprint.

    Post parts are keyed by section, not part number, so a thread re-split elsewhere keeps its decisions; the
    same subject in several emails of a campaign is one decision.
    """
    where = "subject" if piece.kind == "subject" else f"{piece.content_id}:{piece.channel}:{piece.kind}"
    key = "\x1f".join((where, finding.rule, finding.text, _sentence_around(piece.text, finding)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _sentence_around(text: str, finding: Finding) -> str:
    for start, end in sentence_spans(text):
        if start <= finding.start and finding.end <= end:
            return text[start:end]
    return finding.text


# --- decisions: accepting warnings, submitting, approving ----------------------------------------------------


def accepted_fingerprints(session: Session, campaign: Campaign) -> dict[str, FindingAcceptance]:
    rows = session.scalars(select(FindingAcceptance).where(FindingAcceptance.campaign_id == campaign.id))
    return {row.fingerprint: row for row in rows}


def _same_warning(one: ReviewedFinding, other: ReviewedFinding) -> bool:
    def words(item: ReviewedFinding) -> str:
        return " ".join(item.finding.text.casefold().split())

    return one.finding.rule == other.finding.rule and words(one) == words(other)


def settled_fingerprints(session: Session, campaign: Campaign) -> set[str]:
    """Findings needing no more decision: accepted with a reason, or backed by a live library link."""
    return set(accepted_fingerprints(session, campaign)) | set(live_links(session, campaign))


def accept_warning(
    session: Session, campaign: Campaign, review: CampaignReview, fingerprint: str, reason: str, actor: User
) -> FindingAcceptance:
    """Record that `actor` accepts a warn finding of the campaign's current text, and why (audit-logged)."""
    reason, item = _acceptable(campaign, review, fingerprint, reason)
    return _accept(session, campaign, item, reason, actor)


def accept_every_occurrence(
    session: Session, campaign: Campaign, review: CampaignReview, fingerprint: str, reason: str, actor: User
) -> list[FindingAcceptance]:
    """Accept, with one reason, the warning `fingerprint` and every other occurrence of it in the campaign not yet
    settled (`CampaignReview.occurrences`: in each email and each post); one audit entry per finding accepted.
    Refused as a whole (ReviewError, nothing accepted) for an empty reason or a warning no longer in the text."""
    reason, item = _acceptable(campaign, review, fingerprint, reason)
    occurrences = review.occurrences(fingerprint, settled_fingerprints(session, campaign) - {fingerprint})
    note = f" (one reason for {len(occurrences)} occurrences)" if len(occurrences) > 1 else ""
    return [_accept(session, campaign, other, reason, actor, note) for other in occurrences]


def _acceptable(campaign: Campaign, review: CampaignReview, fingerprint: str, reason: str):
    if "submit" not in lifecycle.allowed_actions(campaign):
        raise ReviewError("Warnings are accepted while the campaign is a draft, before it is submitted.")
    reason = " ".join(reason.split())
    if not reason:
        raise ReviewError("Write why this wording is acceptable before accepting the warning.")
    item = review.warning(fingerprint)
    if item is None:
        raise ReviewError("That warning is no longer in the campaign's text; review the page again.")
    return reason, item


def _accept(
    session: Session, campaign: Campaign, item: ReviewedFinding, reason: str, actor: User, note: str = ""
) -> FindingAcceptance:
    fingerprint = item.fingerprint
    acceptance = session.scalar(
        select(FindingAcceptance).where(
            FindingAcceptance.campaign_id == campaign.id, FindingAcceptance.fingerprint == fingerprint
        )
    )
    if acceptance is None:
        acceptance = FindingAcceptance(campaign_id=campaign.id, fingerprint=fingerprint)
    acceptance.rule, acceptance.piece = item.finding.rule, item.piece.label
    acceptance.finding_text, acceptance.reason = item.finding.text, reason
    acceptance.accepted_by_id, acceptance.accepted_by_label = actor.id, actor.name
    acceptance.at = utcnow()
    session.add(acceptance)
    audit.record(
        session, "finding:accepted", actor=actor, campaign=campaign, detail=f"{item.problem}; reason: {reason}{note}"
    )
    return acceptance


def clear_stale_acceptances(session: Session, campaign: Campaign, review: CampaignReview, actor: User | None) -> int:
    """Drop acceptances whose finding is no longer in the text (the words changed); returns how many."""
    current = {item.fingerprint for item in review.warnings}
    stale = [row for row in accepted_fingerprints(session, campaign).values() if row.fingerprint not in current]
    if stale:
        session.execute(delete(FindingAcceptance).where(FindingAcceptance.id.in_([row.id for row in stale])))
        detail = "; ".join(f"{row.piece}: {row.rule} \u201c{row.finding_text}\u201d" for row in stale)
        audit.record(session, "findings:acceptances-cleared", actor=actor, campaign=campaign, detail=detail)
    return len(stale)


def review_with_library(session: Session, campaign: Campaign, config: Mapping) -> CampaignReview:
    """The review as people see and decide it: with the live claims library."""
    return review_campaign(campaign, config, claim_library(session))


def campaign_problems(session: Session, campaign: Campaign, review: CampaignReview) -> list[str]:
    linked = live_links(session, campaign)
    return review.problems(accepted_fingerprints(session, campaign), linked)


def submission_check(session: Session, config: Mapping) -> SubmissionCheck:
    """The claims check as `lifecycle.submit_for_review(checks=...)` takes it."""

    def check(campaign: Campaign) -> list[str]:
        return campaign_problems(session, campaign, review_with_library(session, campaign, config))

    return check


def require_passing_check(session: Session, campaign: Campaign, config: Mapping) -> None:
    """Raise LifecycleError unless the campaign's current text passes (run again at approval).

    Passing, the campaign's library links are made to fit what it will send: links to findings no longer in its
    text are dropped, and findings the library backs by an approved wording are recorded as links, so the email
    footer's references (`library.references_for`) cite exactly the claims that go out.
    """
    _require_passing(session, campaign, review_with_library(session, campaign, config))


def _require_passing(session: Session, campaign: Campaign, review: CampaignReview) -> None:
    problems = campaign_problems(session, campaign, review)
    if problems:
        raise LifecycleError("The claims check does not pass: " + "; ".join(problems))
    clear_stale_links(session, campaign, (item.fingerprint for item in review.findings))
    record_exact_links(session, campaign, review)


def link_finding(
    session: Session,
    campaign: Campaign,
    review: CampaignReview,
    fingerprint: str,
    claim: LibraryClaim | None,
    actor: User,
    *,
    how: str,
):
    """A reviewer backs a finding with a library claim: confirming the close match shown, or choosing one by hand.

    Refused (ReviewError) to anyone but a reviewer or admin, for findings no library claim can back (cures,
    guarantees and the other never-go-out claims), after approval, and for a claim that is not live.
    """
    if not actor.can_review():
        raise ReviewError("Only a reviewer or admin can link a finding to a library claim.")
    if campaign.status not in ("draft", "in_review"):
        raise ReviewError("Findings are linked while the campaign is a draft or in review.")
    item = review.finding(fingerprint)
    if item is None:
        raise ReviewError("That finding is no longer in the campaign's text; review the page again.")
    if not item.linkable:
        raise ReviewError(f"A {item.finding.rule} finding must be rewritten: no library claim can back it.")
    if claim is None:
        raise ReviewError("Choose the library claim that backs this sentence.")
    try:
        return record_link(
            session,
            campaign,
            fingerprint=fingerprint,
            rule=item.finding.rule,
            piece=item.piece.label,
            finding_text=item.finding.text,
            claim=claim,
            actor=actor,
            how=how,
        )
    except LibraryError as error:
        raise ReviewError(str(error)) from error


def record_exact_links(session: Session, campaign: Campaign, review: CampaignReview) -> int:
    """Store the findings the library backs by its exact wording as links, so the footer can cite them."""
    existing = live_links(session, campaign)
    added = 0
    for item in review.findings:
        match = item.finding.library_claim
        if item.linkable and item.finding.resolved and item.fingerprint not in existing:
            claim = session.get(LibraryClaim, match["claim_id"])
            if claim is not None and live_version(claim, clinic_today()) is not None:
                record_link(
                    session,
                    campaign,
                    fingerprint=item.fingerprint,
                    rule=item.finding.rule,
                    piece=item.piece.label,
                    finding_text=item.finding.text,
                    claim=claim,
                    actor=None,
                    how="exact",
                )
                existing[item.fingerprint] = claim
                added += 1
    return added


def set_references_option(session: Session, campaign: Campaign, show: bool, actor: User) -> bool:
    """Turn the footer's numbered references on or off; returns False when nothing changed.

    The footer is part of what the reviewer approved, so an approved campaign goes back to draft
    (`lifecycle.mark_edited`, which refuses once sending has started).
    """
    if campaign.show_references == show:
        return False
    lifecycle.mark_edited(session, campaign, actor)
    campaign.show_references = show
    audit.record(
        session, "references:" + ("on" if show else "off"), actor=actor, campaign=campaign,
        detail="numbered library references in the email footer",
    )  # fmt: skip
    return True


CHANGED_SINCE_OPENED = "This campaign changed since you opened it: review again."


def approve_as_seen(
    session: Session,
    campaign: Campaign,
    reviewer: User,
    config: Mapping,
    *,
    seen_hash: str,
    allow_self_approval: bool,
) -> None:
    """Approve exactly what the reviewer saw: `seen_hash` is the content hash of the review they opened. Raises
    LifecycleError when the campaign changed since, when the reviewer wrote or edited it, or when it fails the
    claims check as it is now."""
    # Who may approve first (the more useful refusal for an author), then what they saw; the caller rolls back.
    lifecycle.approve(session, campaign, reviewer, allow_self_approval=allow_self_approval)
    review = review_with_library(session, campaign, config)
    if not hmac.compare_digest(seen_hash or "", review.content_hash):
        raise LifecycleError(CHANGED_SINCE_OPENED)
    # Library links count as at submission; passing, the links are brought up to date (see require_passing_check).
    _require_passing(session, campaign, review)
