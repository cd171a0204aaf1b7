"""The review page: what a campaign sends with the claims check's findings marked inline, and the decisions on it.

Marketers accept warnings with a reason, fix the text (in the composer) and submit; reviewers approve or send back.
Every decision goes through service.campaigns.lifecycle and service.compliance.review, which audit-log it.
"""

from collections.abc import Sequence
from itertools import groupby

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from service import audit
from service.campaigns import lifecycle
from service.campaigns.edits import editors_since_last_approval
from service.campaigns.lifecycle import LifecycleError
from service.compliance import Finding
from service.compliance.library import all_claims, clinic_today, live_links, live_version
from service.compliance.review import (
    CampaignReview,
    ReviewError,
    accept_warning,
    accepted_fingerprints,
    approve_as_seen,
    link_finding,
    review_with_library,
    set_references_option,
    submission_check,
)
from service.composer.snapshot import changes_since_approval
from service.extensions import db
from service.models import Campaign, LibraryClaim
from service.web.forms import FormTextError, form_text

blueprint = Blueprint("review", __name__, url_prefix="/campaigns")


def highlight(text: str, findings: Sequence[Finding]) -> Markup:
    """`text` escaped, with each finding's span wrapped in <mark class="finding block|warn" title="why — suggestion">.

    The text is cut at every finding boundary and each segment escaped on its own, so overlapping findings of
    different rules nest safely and no untrusted character is ever emitted as markup.
    """
    spans = [(max(f.start, 0), min(f.end, len(text)), f) for f in findings if f.end > f.start]
    cuts = sorted({0, len(text), *(start for start, _, _ in spans), *(end for _, end, _ in spans)})
    out = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        segment = escape(text[start:end])
        covering = [finding for s, e, finding in spans if s <= start and end <= e]
        if not covering:
            out.append(segment)
            continue
        severity = "block" if any(f.severity == "block" for f in covering) else "warn"
        title = " | ".join(f"{f.why} \u2014 {f.suggestion}" for f in covering)
        rules = " ".join(dict.fromkeys(f.rule for f in covering))
        out.append(
            Markup('<mark class="finding {}" data-rules="{}" title="{}">{}</mark>').format(
                severity, rules, title, segment
            )
        )
    return Markup("").join(out)


def _render(
    campaign: Campaign, review: CampaignReview | None = None, *, status: int = 200, accept_error=None, link_error=None
):
    review = review or review_with_library(db.session, campaign, current_app.config)
    today = clinic_today()
    linked = live_links(db.session, campaign, today)
    live_claims = [claim for claim in all_claims(db.session) if live_version(claim, today)]
    findings, seen = [], set()
    for item in sorted(review.findings, key=lambda item: item.finding.severity != "block"):
        # A warning in the subject is in every email, and one decision covers it: list it once.
        key = item.fingerprint or (item.piece.label, item.finding.rule, item.finding.start, item.finding.end)
        if key not in seen:
            seen.add(key)
            findings.append(item)
    by_issue = {index: list(pieces) for index, pieces in groupby(review.pieces, key=lambda piece: piece.issue_index)}
    return (
        render_template(
            "review/show.html",
            campaign=campaign,
            review=review,
            findings=findings,
            by_issue=by_issue,
            changes=changes_since_approval(campaign),
            accepted=accepted_fingerprints(db.session, campaign),
            linked=linked,
            unsettled=review.unsettled_blocking(linked),
            live_claims=live_claims,
            accept_error=accept_error or {},
            link_error=link_error or {},
            highlight=highlight,
            allow_self_approval=current_app.config["ALLOW_SELF_APPROVAL"],
            editors=editors_since_last_approval(db.session, campaign),
        ),
        status,
    )


def _back(campaign: Campaign):
    return redirect(url_for("review.show", campaign_id=campaign.id))


@blueprint.get("/<int:campaign_id>/review")
@login_required
def show(campaign_id: int):
    return _render(db.get_or_404(Campaign, campaign_id))


@blueprint.post("/<int:campaign_id>/review/accept")
@login_required
def accept(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    fingerprint = request.form.get("fingerprint", "")
    review = review_with_library(db.session, campaign, current_app.config)
    try:
        reason = form_text("reason", "Reason")
        accept_warning(db.session, campaign, review, fingerprint, reason, current_user)
    except (ReviewError, FormTextError) as error:
        db.session.rollback()
        return _render(campaign, review, status=422, accept_error={"fingerprint": fingerprint, "message": str(error)})
    db.session.commit()
    flash("Warning accepted; your reason is in the audit log.", "success")
    return _back(campaign)


@blueprint.post("/<int:campaign_id>/review/link")
@login_required
def link(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    fingerprint = request.form.get("finding", "")
    raw_claim = request.form.get("claim_id", "")
    claim = db.session.get(LibraryClaim, int(raw_claim)) if raw_claim.isdigit() and len(raw_claim) < 10 else None
    how = "confirmed" if request.form.get("how") == "confirmed" else "by hand"
    review = review_with_library(db.session, campaign, current_app.config)
    try:
        link_finding(db.session, campaign, review, fingerprint, claim, current_user, how=how)
    except ReviewError as error:
        db.session.rollback()
        return _render(campaign, review, status=422, link_error={"fingerprint": fingerprint, "message": str(error)})
    db.session.commit()
    flash(f"Finding linked to \u201c{claim.title}\u201d; the link is in the audit log.", "success")
    return _back(campaign)


@blueprint.post("/<int:campaign_id>/review/references")
@login_required
def references(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    show = request.form.get("show") == "on"
    try:
        changed = set_references_option(db.session, campaign, show, current_user)
    except LifecycleError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        if changed:
            flash("References " + ("shown" if show else "hidden") + " in the email footer.", "success")
    return _back(campaign)


@blueprint.post("/<int:campaign_id>/review/submit")
@login_required
def submit(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    checks = (submission_check(db.session, current_app.config),)
    return _decide(campaign, lambda: lifecycle.submit_for_review(db.session, campaign, current_user, checks=checks))


@blueprint.post("/<int:campaign_id>/review/approve")
@login_required
def approve(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    allow_self = current_app.config["ALLOW_SELF_APPROVAL"]

    def decide():
        # What the reviewer saw must be what is approved, and it must pass as it is now; failing, _decide rolls back.
        approve_as_seen(
            db.session,
            campaign,
            current_user,
            current_app.config,
            seen_hash=request.form.get("content_hash", ""),
            allow_self_approval=allow_self,
        )
        if campaign.created_by_id == current_user.id:
            audit.record(
                db.session, "approval:self", actor=current_user, campaign=campaign, detail="ALLOW_SELF_APPROVAL is on"
            )

    return _decide(campaign, decide)


@blueprint.post("/<int:campaign_id>/review/send-back")
@login_required
def send_back(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    try:
        comment = form_text("comment", "Comment")
    except FormTextError as error:
        flash(str(error), "error")
        return _back(campaign)
    return _decide(campaign, lambda: lifecycle.send_back(db.session, campaign, current_user, comment))


def _decide(campaign: Campaign, action):
    try:
        action()
    except LifecycleError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"Campaign is now {campaign.status.replace('_', ' ')}.", "success")
    return _back(campaign)
