"""Reviewing a campaign: the claims check run on everything it will send, exactly as it will be sent.

`review_campaign` renders each snippet's email and post parts with the builders the worker sends from
(`service.outgoing`: `outgoing_email_for`, `thread_parts_for`) and checks them piece by piece: the subject (context
"subject"), the HTML body as a reader sees it (`html_to_text`, context "body"), the links in the HTML
(`check_links`), each post part (context "post"), and the required elements on the rendered email, HTML part and
plain-text part alike.
Per-recipient placeholders are filled as for a representative recipient (subscriber id 0, no first name), so the
unsubscribe links look exactly like real ones: `{PUBLIC_BASE_URL}/unsubscribe/<signed token>`.

A campaign passes when no finding blocks and every warn finding has been accepted with a written reason
(`FindingAcceptance`); `submission_check` is that rule in the shape `lifecycle.submit_for_review` takes, and
`require_passing_check` applies it again at approval.

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
from service.compliance.setup import strict_setup, uses_placeholder_address
from service.models import Campaign, CampaignSnippet, FindingAcceptance, Snippet, User
from service.models.base import utcnow
from service.outgoing.email import outgoing_email_for, recipient_values
from service.outgoing.links import unsubscribe_url
from service.outgoing.posts import thread_parts_for
from service.rendering.clinic import ClinicInfo
from service.rendering.email import UNSUBSCRIBE_URL
from service.settings import PLACEHOLDER_POSTAL_ADDRESS

# What a piece of a campaign is: the email's subject, its HTML body as text, its plain-text part (checked for the
# required elements only: its words are the HTML body's), the links in its HTML, or one part of a post/thread.
PIECE_KINDS = ("subject", "body", "text", "links", "post")
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


class SnippetInputError(ValueError):
    """Invalid snippet text; `errors` maps field names (heading, body) to messages for a person."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Piece:
    """One checked piece of what a campaign sends; finding offsets index into `text`."""

    snippet_index: int
    snippet_id: int
    channel: str  # "email" | "x"
    kind: str  # one of PIECE_KINDS
    text: str
    findings: tuple[Finding, ...]
    part: int | None = None  # post parts: 1-based position in the thread
    parts: int | None = None  # post parts: how many parts the thread has

    @property
    def label(self) -> str:
        number = self.snippet_index + 1
        if self.kind == "post":
            return f"Post {number}" + (f", part {self.part} of {self.parts}" if self.parts and self.parts > 1 else "")
        names = {"subject": "subject", "body": "body", "text": "plain-text part", "links": "links"}
        return f"Email {number} {names[self.kind]}"


@dataclass(frozen=True)
class ReviewedFinding:
    piece: Piece
    finding: Finding
    # Identifies a warn finding across reviews while its text stays the same (None for block findings).
    fingerprint: str | None

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
            ReviewedFinding(piece, finding, fingerprint_of(piece, finding) if finding.severity == "warn" else None)
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

    def problems(self, accepted: Iterable[str] = ()) -> list[str]:
        """Why the campaign cannot go forward: block findings, and warn findings nobody accepted with a reason."""
        accepted = set(accepted)
        problems = [item.problem for item in self.blocking]
        problems += [
            f"{item.problem} needs a written reason to accept it"
            for item in self.warnings
            if item.fingerprint not in accepted
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


def review_campaign(campaign: Campaign, config: Mapping) -> CampaignReview:
    """Check every email and post the campaign will send, as rendered for sending with these settings."""
    strict = strict_setup(config)
    clinic = clinic_identity(config, strict=strict)
    substitutions = representative_substitutions(config)
    pieces: list[Piece] = []
    notices: list[str] = []
    if not strict and campaign.send_email and uses_placeholder_address(config):
        notices.append(PLACEHOLDER_NOTICE)
    for index, snippet in enumerate(campaign.snippets):
        if campaign.send_email:
            pieces.extend(_email_pieces(campaign, snippet, index, config, clinic, substitutions, strict, notices))
        if campaign.send_post:
            pieces.extend(_post_pieces(campaign, snippet, index, config))
    return CampaignReview(
        pieces=tuple(pieces),
        notices=tuple(dict.fromkeys(notices)),
        content_hash=content_hash_of(pieces, substitutions[UNSUBSCRIBE_URL]),
    )


def content_hash_of(pieces: Iterable[Piece], unsubscribe_link: str) -> str:
    """SHA-256 of every rendered piece: each subject, email body, plain-text part, link list and post part, in
    order. The representative unsubscribe link is put back to its placeholder first: its token carries the time it
    was made, which changes every second while the words do not."""
    digest = hashlib.sha256()
    for piece in pieces:
        text = piece.text.replace(unsubscribe_link, UNSUBSCRIBE_URL)
        digest.update(f"{piece.snippet_id}|{piece.channel}|{piece.kind}|{piece.part}|{len(text)}|".encode())
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()


def _email_pieces(campaign, snippet, index, config, clinic, substitutions, strict, notices) -> list[Piece]:
    email = outgoing_email_for(campaign, snippet, ClinicInfo.from_config(config))
    html = _fill(email.html, substitutions)
    plain = _fill(email.text, substitutions)
    body = html_to_text(html)
    one_click = _fill(email.headers.get("List-Unsubscribe", ""), substitutions).strip().strip("<>")
    written = f"{snippet.heading}\n{snippet.body}"

    def required(text: str, html_part: str | None) -> list[Finding]:
        findings = check_required_elements(text, html=html_part, clinic=clinic, list_unsubscribe_url=one_click)
        if not strict and one_click and not one_click.lower().startswith("https://"):
            notices.append(NOT_HTTPS_NOTICE)
            findings = [finding for finding in findings if finding.rule != "required-list-unsubscribe"]
        return findings

    def piece(kind: str, text: str, findings: list[Finding]) -> Piece:
        return Piece(index, snippet.id, "email", kind, text, tuple(findings))

    return [
        piece("subject", email.subject, check_claims(email.subject, context="subject")),
        piece("body", body, check_claims(body, context="body", written=written) + required(body, html)),
        piece("text", plain, required(plain, None)),
        piece("links", html, check_links(html)),
    ]


def _post_pieces(campaign: Campaign, snippet: Snippet, index: int, config: Mapping) -> list[Piece]:
    parts = thread_parts_for(campaign, snippet, ClinicInfo.from_config(config))
    return [
        Piece(index, snippet.id, "x", "post", text, tuple(check_claims(text, context="post")), number, len(parts))
        for number, text in enumerate(parts, start=1)
    ]


def fingerprint_of(piece: Piece, finding: Finding) -> str:
    """The same rule matching the same words in the same sentence of the same piece: the same fingerprint.

    Post parts are keyed by snippet, not part number, so a thread re-split elsewhere keeps its decisions; the
    subject is the same in every email of a campaign, so one decision covers it everywhere.
    """
    where = "subject" if piece.kind == "subject" else f"{piece.snippet_id}:{piece.channel}:{piece.kind}"
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


def accept_warning(
    session: Session, campaign: Campaign, review: CampaignReview, fingerprint: str, reason: str, actor: User
) -> FindingAcceptance:
    """Record that `actor` accepts a warn finding of the campaign's current text, and why (audit-logged)."""
    if campaign.status != "draft":
        raise ReviewError("Warnings are accepted while the campaign is a draft, before it is submitted.")
    reason = " ".join(reason.split())
    if not reason:
        raise ReviewError("Write why this wording is acceptable before accepting the warning.")
    item = review.warning(fingerprint)
    if item is None:
        raise ReviewError("That warning is no longer in the campaign's text; review the page again.")
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
        session, "finding:accepted", actor=actor, campaign=campaign, detail=f"{item.problem}; reason: {reason}"
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


def submission_check(session: Session, config: Mapping) -> SubmissionCheck:
    """The claims check as `lifecycle.submit_for_review(checks=...)` takes it."""

    def check(campaign: Campaign) -> list[str]:
        return review_campaign(campaign, config).problems(accepted_fingerprints(session, campaign))

    return check


def require_passing_check(session: Session, campaign: Campaign, config: Mapping) -> None:
    """Raise LifecycleError unless the campaign's current text passes (run again at approval)."""
    problems = submission_check(session, config)(campaign)
    if problems:
        raise LifecycleError("The claims check does not pass: " + "; ".join(problems))


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
    review = review_campaign(campaign, config)
    if not hmac.compare_digest(seen_hash or "", review.content_hash):
        raise LifecycleError(CHANGED_SINCE_OPENED)
    problems = review.problems(accepted_fingerprints(session, campaign))
    if problems:
        raise LifecycleError("The claims check does not pass: " + "; ".join(problems))


# --- editing a snippet's words -------------------------------------------------------------------------------

HEADING_MAX = 300


def validate_snippet(heading: str, body: str) -> dict[str, str]:
    errors = {}
    if not heading.strip():
        errors["heading"] = "Give the snippet a heading."
    elif "\n" in heading.strip() or "\r" in heading.strip():
        errors["heading"] = "The heading must be a single line."
    elif len(heading.strip()) > HEADING_MAX:
        errors["heading"] = f"Keep the heading under {HEADING_MAX} characters."
    if not body.strip():
        errors["body"] = "The snippet needs some text."
    return errors


def campaigns_using(session: Session, snippet: Snippet) -> list[Campaign]:
    return list(
        session.scalars(
            select(Campaign)
            .join(CampaignSnippet, CampaignSnippet.campaign_id == Campaign.id)
            .where(CampaignSnippet.snippet_id == snippet.id)
            .order_by(Campaign.id)
        )
    )


def revise_snippet(
    session: Session, campaign: Campaign, snippet: Snippet, heading: str, body: str, actor: User, config: Mapping
) -> bool:
    """Change a snippet's words. Returns False when nothing changed.

    Every campaign that sends this snippet (not only `campaign`) goes back to draft through `lifecycle.mark_edited`,
    because what its reviewer approved is no longer what it would send; a campaign that has started sending refuses
    (LifecycleError, nothing changed). Sent and cancelled campaigns are left alone. Accepted warnings whose words
    changed are cleared. Raises SnippetInputError for an empty or multi-line heading or an empty body.
    """
    errors = validate_snippet(heading, body)
    if errors:
        raise SnippetInputError(errors)
    heading, body = heading.strip(), body.replace("\r\n", "\n").strip()
    if (heading, body) == (snippet.heading, snippet.body):
        return False
    affected = [other for other in campaigns_using(session, snippet) if other.status not in ("sent", "cancelled")]
    if campaign not in affected:
        affected.insert(0, campaign)
    for other in affected:
        try:
            lifecycle.mark_edited(session, other, actor)
        except LifecycleError as error:
            if other is campaign:
                raise
            raise LifecycleError(f"\u201c{other.name}\u201d sends this snippet too. {error}") from error
    snippet.heading, snippet.body = heading, body
    session.flush()
    for other in affected:
        audit.record(session, "snippet:edited", actor=actor, campaign=other, detail=f"snippet {snippet.id}: {heading}")
        clear_stale_acceptances(session, other, review_campaign(other, config), actor)
    return True
