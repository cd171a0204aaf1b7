"""The audit log page: who did what to which campaign, and when; filterable by campaign, newest first."""

from flask import Blueprint, abort, render_template, request
from flask_login import login_required
from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry, Campaign

blueprint = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 50
ACTION_LABELS = {
    "created": "Created",
    "edited": "Edited",
    "snippet:edited": "Edited a snippet's text",
    "finding:accepted": "Accepted a warning",
    "findings:acceptances-cleared": "Accepted warnings cleared (their text changed)",
    "approval:self": "Approved their own campaign (self-approval is allowed)",
    "batches:uncertain": "Batches marked uncertain",
    "login:failed": "Sign-in refused",
    "account:created": "Account created",
    "account:invited": "Invited someone to the team",
    "account:invitation-resent": "Sent an invitation again",
    "account:invitation-accepted": "Joined the team",
    "account:role-changed": "Changed a role",
    "account:deactivated": "Deactivated an account",
    "account:reactivated": "Reactivated an account",
    "account:password-changed": "Changed a password",
    "account:password-reset": "Reset a forgotten password",
    "account:password-reset-requested": "Password reset link requested",
    "account:two-factor-on": "Turned two-factor sign-in on",
    "account:two-factor-off": "Turned two-factor sign-in off",
    "account:recovery-code-used": "Signed in with a recovery code",
}


def describe(action: str) -> str:
    """A person's reading of an action code: "status:in_review->draft" is "Status: in review → draft"."""
    if action.startswith("status:") and "->" in action:
        before, after = action.removeprefix("status:").split("->", 1)
        return f"Status: {before.replace('_', ' ')} \u2192 {after.replace('_', ' ')}"
    if action.startswith("message:"):
        return f"Message {action.removeprefix('message:')}"
    return ACTION_LABELS.get(action, action)


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        abort(400, description=f"{name} must be a number.")
    return int(raw)


@blueprint.get("")
@login_required
def index():
    campaign_id, before = _int_arg("campaign"), _int_arg("before")
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(PAGE_SIZE + 1)
    if campaign_id is not None:
        query = query.where(AuditEntry.campaign_id == campaign_id)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    entries = db.session.scalars(query).all()
    # Keyset pagination: ids only grow, so "older than the last one shown" is the next page.
    next_before = entries[PAGE_SIZE - 1].id if len(entries) > PAGE_SIZE else None
    entries = entries[:PAGE_SIZE]
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.name)).all()
    return render_template(
        "audit/index.html",
        entries=entries,
        campaigns=campaigns,
        names={campaign.id: campaign.name for campaign in campaigns},
        campaign_id=campaign_id,
        next_before=next_before,
        first_page=before is None,
        describe=describe,
    )
