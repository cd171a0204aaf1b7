"""The email part of a campaign's page: test send, uncertain batches to decide, refused batches, event counts."""

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from service.campaigns.batches import (
    BatchDecisionError,
    BatchToDecide,
    batches_to_decide,
    failed_batches,
    mark_delivered,
    request_resend,
)
from service.campaigns.send_to_self import SendToSelfError, send_test_email
from service.campaigns.stats import EmailStats, campaign_email_stats
from service.channels.registry import email_channel_for_request
from service.extensions import db
from service.models import Campaign, Message, SendBatch, User

blueprint = Blueprint("email_status", __name__, url_prefix="/campaigns")


@dataclass(frozen=True)
class EmailStatus:
    to_decide: list[BatchToDecide]
    failed: list[tuple[SendBatch, Message]]
    stats: EmailStats


@blueprint.app_context_processor
def _email_status_helper() -> dict:
    # campaigns/_email_status.html calls this, so the campaign page needs nothing from this module's handlers.
    def email_status_for(campaign: Campaign) -> EmailStatus:
        return EmailStatus(
            to_decide=batches_to_decide(db.session, campaign),
            failed=failed_batches(db.session, campaign),
            stats=campaign_email_stats(db.session, campaign, tracking=bool(current_app.config["TRACKING_ENABLED"])),
        )

    return {"email_status_for": email_status_for}


def _back(campaign_id: int):
    return redirect(url_for("campaigns.show", campaign_id=campaign_id))


@blueprint.post("/<int:campaign_id>/test-send")
@login_required
def test_send(campaign_id: int):
    """Send one of the campaign's emails to team accounts chosen by id (`to`; default: the sender's own address)."""
    campaign = db.get_or_404(Campaign, campaign_id)
    position = request.form.get("position", "0")
    ids = [int(value) for value in request.form.getlist("to") if value.isdigit()]
    team = db.session.scalars(select(User).where(User.id.in_(ids))).all() if ids else []
    try:
        if len(team) != len(set(ids)):
            raise SendToSelfError("Tests go to accounts of the team only.")
        send_test_email(
            db.session,
            campaign,
            int(position) if position.isdigit() else -1,
            current_user,
            channel=email_channel_for_request(current_app.config),
            config=current_app.config,
            to=team,
        )
    except SendToSelfError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        names = ", ".join(member.email for member in team) if team else current_user.email
        flash(f"A test email is on its way to {names}.", "success")
    return _back(campaign_id)


def _decide(campaign_id: int, batch_id: int, decide, done: str):
    # CSRFProtect has already checked the token of this POST, as of every POST.
    campaign = db.get_or_404(Campaign, campaign_id)
    try:
        decide(campaign, batch_id)
    except BatchDecisionError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(done, "success")
    return _back(campaign_id)


@blueprint.post("/<int:campaign_id>/batches/<int:batch_id>/resend")
@login_required
def resend(campaign_id: int, batch_id: int):
    return _decide(
        campaign_id,
        batch_id,
        lambda campaign, batch: request_resend(db.session, campaign, batch, current_user, datetime.now(UTC)),
        "The batch goes out again at the worker's next poll, to those of its recipients still subscribed.",
    )


@blueprint.post("/<int:campaign_id>/batches/<int:batch_id>/mark-delivered")
@login_required
def mark_batch_delivered(campaign_id: int, batch_id: int):
    return _decide(
        campaign_id,
        batch_id,
        lambda campaign, batch: mark_delivered(db.session, campaign, batch, current_user, datetime.now(UTC)),
        "The batch is recorded as delivered; its recipients will not get this email again.",
    )
