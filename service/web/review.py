"""The review page: what a campaign sends with the claims check's findings marked inline, and the decisions on it.

Marketers accept warnings with a reason (one warning, or every occurrence of it at once), fix the text (in the
composer) and submit; reviewers approve or send back; anyone comments on a finding or a section and answers in its
thread. Every decision goes through service.campaigns.lifecycle and service.compliance.review (comments through
service.compliance.review_comments), which audit-log it. Accepting answers JSON when asked for it (the page's
review-accept.js); without script every form posts and comes back to the finding it was sent from.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import groupby

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from wtforms import HiddenField, TextAreaField

from service import audit
from service.campaigns import lifecycle
from service.campaigns.edits import editors_since_last_approval
from service.campaigns.lifecycle import LifecycleError
from service.campaigns.schedule import ScheduleError
from service.compliance import Finding
from service.compliance.library import all_claims, clinic_today, live_links, live_version
from service.compliance.review import (
    CampaignReview,
    ReviewError,
    accept_every_occurrence,
    accept_warning,
    accepted_fingerprints,
    approve_as_seen,
    link_finding,
    review_with_library,
    set_references_option,
    settled_fingerprints,
    submission_check,
)
from service.compliance.review_comments import (
    CommentError,
    comment_on_finding,
    comment_on_section,
    reply_to,
    threads_by_target,
    threads_of,
)
from service.composer.snapshot import changes_since_approval
from service.extensions import db
from service.models import Campaign, LibraryClaim
from service.web.forms import BoundaryForm, FormTextError, form_text
from service.web.staff_notices import notify_after

blueprint = Blueprint("review", __name__, url_prefix="/campaigns")


class CommentForm(BoundaryForm):
    """A comment on a finding (its fingerprint) or a section (its id), or a reply (the comment id is in the URL)."""

    body = TextAreaField("Comment")
    finding = HiddenField()
    section = HiddenField()


def anchor_for(target: str) -> str:
    """The id of the page element a finding ("finding:<fingerprint>") or section ("section:<id>") is shown in."""
    kind, _, key = target.partition(":")
    return f"{kind}-{key[:16]}"


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
    campaign: Campaign,
    review: CampaignReview | None = None,
    *,
    status: int = 200,
    accept_error=None,
    link_error=None,
    comment_error=None,
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
    threads = threads_by_target(threads_of(db.session, campaign))
    shown = {f"finding:{item.fingerprint}" for item in findings} | {f"section:{part.id}" for part in campaign.sections}
    settled = settled_fingerprints(db.session, campaign)
    # Where else each open warning is, for the "this reason for every occurrence" choice.
    occurrences = {
        item.fingerprint: [other.piece.label for other in review.occurrences(item.fingerprint, settled)]
        for item in findings
    }
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
            occurrences=occurrences,
            threads=threads,
            # Threads on words since changed (their finding is gone): still read here, beside nothing.
            earlier_threads=[thread for target, group in threads.items() if target not in shown for thread in group],
            comment_error=comment_error or {},
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


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


@blueprint.post("/<int:campaign_id>/review/accept")
@login_required
def accept(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    fingerprint = request.form.get("fingerprint", "")
    every = request.form.get("every") == "on"
    review = review_with_library(db.session, campaign, current_app.config)
    try:
        reason = form_text("reason", "Reason")
        if every:
            accepted = accept_every_occurrence(db.session, campaign, review, fingerprint, reason, current_user)
        else:
            accepted = [accept_warning(db.session, campaign, review, fingerprint, reason, current_user)]
    except (ReviewError, FormTextError) as error:
        db.session.rollback()
        if _wants_json():
            return jsonify(error=str(error), fingerprint=fingerprint), 422
        typed = {"fingerprint": fingerprint, "message": str(error), "reason": request.form.get("reason", "")}
        return _render(campaign, review, status=422, accept_error=typed | {"every": every})
    db.session.commit()
    message = "Warning accepted; your reason is in the audit log."
    if len(accepted) > 1:
        message = f"Warning accepted in all {len(accepted)} places with one reason; it is in the audit log."
    if _wants_json():
        settled = accepted_fingerprints(db.session, campaign)
        count = sum(1 for item in review.warnings if item.fingerprint in settled)  # as the page's summary counts
        return jsonify(message=message, accepted=[_accepted_json(row) for row in accepted], accepted_count=count)
    flash(message, "success")
    return redirect(url_for("review.show", campaign_id=campaign.id, _anchor=anchor_for(f"finding:{fingerprint}")))


def _accepted_json(row) -> dict:
    local = current_app.jinja_env.filters["local"]  # the page's own way of showing a time
    return {"fingerprint": row.fingerprint, "by": row.accepted_by_label, "at": local(row.at), "reason": row.reason}


@blueprint.post("/<int:campaign_id>/review/comments")
@login_required
def comment(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    form = CommentForm()
    fingerprint, section = form.finding.data or "", form.section.data or ""
    review = review_with_library(db.session, campaign, current_app.config)

    def add():
        if fingerprint:
            return comment_on_finding(db.session, campaign, review, fingerprint, form.body.data, current_user)
        if not section.isdigit() or len(section) > 9:
            raise CommentError("Choose the finding or section the comment is about.")
        return comment_on_section(db.session, campaign, int(section), form.body.data, current_user)

    key = f"finding:{fingerprint}" if fingerprint else f"section:{section}"
    return _comment(campaign, form, add, key, review)


@blueprint.post("/<int:campaign_id>/review/comments/<int:comment_id>/replies")
@login_required
def reply(campaign_id: int, comment_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    form = CommentForm()

    def add():
        return reply_to(db.session, campaign, comment_id, form.body.data, current_user)

    return _comment(campaign, form, add, f"reply:{comment_id}")


def _comment(campaign: Campaign, form: CommentForm, add, key: str, review: CampaignReview | None = None):
    """Record a comment or reply (`add()`) and go back to where its thread is shown; refused, the page again with
    the error beside the box `key` names ("finding:<fingerprint>", "section:<id>", "reply:<comment id>") and what
    was typed in it."""
    try:
        if not form.validate():
            raise CommentError("; ".join(f"{field.label.text}: {error}" for field in form for error in field.errors))
        added = add()
    except CommentError as error:
        db.session.rollback()
        typed = {"key": key, "message": str(error), "body": form.body.data or ""}
        return _render(campaign, review, status=422, comment_error=typed)
    db.session.commit()
    flash("Reply added." if added.parent_id else "Comment added; it is in the audit log.", "success")
    return redirect(url_for("review.show", campaign_id=campaign.id, _anchor=anchor_for(added.target)))


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
    return _decide(
        campaign, lambda: lifecycle.submit_for_review(db.session, campaign, current_user, checks=checks), "submit"
    )


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
        # Approve and schedule in one step (the schedule is already set): both or neither.
        if request.form.get("and_schedule"):
            lifecycle.schedule(
                db.session, campaign, current_user, tz_name=current_app.config["CLINIC_TIMEZONE"], now=datetime.now(UTC)
            )

    return _decide(campaign, decide, "approve")


@blueprint.post("/<int:campaign_id>/review/send-back")
@login_required
def send_back(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    try:
        comment = form_text("comment", "Comment")
    except FormTextError as error:
        flash(str(error), "error")
        return _back(campaign)
    return _decide(
        campaign, lambda: lifecycle.send_back(db.session, campaign, current_user, comment), "send-back", comment
    )


def _decide(campaign: Campaign, action, step: str, comment: str = ""):
    try:
        action()
    except (LifecycleError, ScheduleError) as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"Campaign is now {campaign.status.replace('_', ' ')}.", "success")
        notify_after(step, campaign, comment)
    return _back(campaign)
