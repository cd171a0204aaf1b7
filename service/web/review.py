"""The review page: what a campaign sends with the claims check's findings marked inline, and the decisions on it.

Marketers accept warnings with a reason, fix snippet text and submit; reviewers approve or send back. Every
decision goes through service.campaigns.lifecycle and service.compliance.review, which audit-log it.
"""

from collections.abc import Sequence
from itertools import groupby

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from service import audit
from service.campaigns import lifecycle
from service.campaigns.edits import editors_since_last_approval
from service.campaigns.lifecycle import LifecycleError
from service.compliance import Finding
from service.compliance.review import (
    HEADING_MAX,
    CampaignReview,
    ReviewError,
    SnippetInputError,
    accept_warning,
    accepted_fingerprints,
    approve_as_seen,
    campaigns_using,
    review_campaign,
    revise_snippet,
    submission_check,
)
from service.extensions import db
from service.models import Campaign, Snippet

blueprint = Blueprint("review", __name__, url_prefix="/campaigns")


class SnippetForm(FlaskForm):
    heading = StringField("Heading", validators=[Length(max=HEADING_MAX)])
    body = TextAreaField("Text (a blank line starts a new paragraph)")


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


def _render(campaign: Campaign, review: CampaignReview | None = None, *, status: int = 200, accept_error=None):
    review = review or review_campaign(campaign, current_app.config)
    findings, seen = [], set()
    for item in sorted(review.findings, key=lambda item: item.finding.severity != "block"):
        # A warning in the subject is in every email, and one decision covers it: list it once.
        key = item.fingerprint or (item.piece.label, item.finding.rule, item.finding.start, item.finding.end)
        if key not in seen:
            seen.add(key)
            findings.append(item)
    by_snippet = {
        index: list(pieces) for index, pieces in groupby(review.pieces, key=lambda piece: piece.snippet_index)
    }
    return (
        render_template(
            "review/show.html",
            campaign=campaign,
            review=review,
            findings=findings,
            by_snippet=by_snippet,
            accepted=accepted_fingerprints(db.session, campaign),
            accept_error=accept_error or {},
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
    review = review_campaign(campaign, current_app.config)
    try:
        accept_warning(db.session, campaign, review, fingerprint, request.form.get("reason", ""), current_user)
    except ReviewError as error:
        db.session.rollback()
        return _render(campaign, review, status=422, accept_error={"fingerprint": fingerprint, "message": str(error)})
    db.session.commit()
    flash("Warning accepted; your reason is in the audit log.", "success")
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
    comment = request.form.get("comment", "")
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


@blueprint.route("/<int:campaign_id>/snippets/<int:position>/edit", methods=["GET", "POST"])
@login_required
def edit_snippet(campaign_id: int, position: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    if not 0 <= position < len(campaign.snippets):
        abort(404)
    snippet: Snippet = campaign.snippets[position]
    form = SnippetForm(obj=snippet if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        try:
            changed = revise_snippet(
                db.session,
                campaign,
                snippet,
                form.heading.data or "",
                form.body.data or "",
                current_user,
                current_app.config,
            )
        except SnippetInputError as error:
            db.session.rollback()
            for name, message in error.errors.items():
                getattr(form, name).errors = [*getattr(form, name).errors, message]
            status = 422
        except LifecycleError as error:
            db.session.rollback()
            flash(str(error), "error")
            status = 409
        else:
            db.session.commit()
            if changed:
                flash("Snippet saved. The campaign is a draft and needs review again.", "success")
            return _back(campaign)
    if form.errors:
        status = 422
    others = [other for other in campaigns_using(db.session, snippet) if other.id != campaign.id]
    return render_template(
        "review/snippet_form.html", campaign=campaign, snippet=snippet, position=position, form=form, others=others
    ), status
