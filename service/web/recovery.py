"""Decisions a person takes on the campaign page about a message the worker could not settle alone: a missed
message (send it now, or skip it) and a post X may or may not have made (resend, or skip)."""

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user, login_required

from service.campaigns.post_recovery import PostRecoveryError, resend_post, skip_post
from service.campaigns.recovery import RecoveryError, send_missed_now, skip_missed
from service.extensions import db
from service.models import Message

blueprint = Blueprint("recovery", __name__, url_prefix="/campaigns")


def _message(campaign_id: int, message_id: int) -> Message:
    message = db.get_or_404(Message, message_id)
    if message.campaign_id != campaign_id:
        abort(404)
    return message


def _decide(campaign_id: int, message_id: int, decide, done: str):
    # CSRFProtect has already checked the token of this POST, as of every POST.
    message = _message(campaign_id, message_id)
    try:
        decide(message)
    except (RecoveryError, PostRecoveryError) as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign_id))


@blueprint.post("/<int:campaign_id>/messages/<int:message_id>/send-now")
@login_required
def send_now(campaign_id: int, message_id: int):
    return _decide(
        campaign_id,
        message_id,
        lambda message: send_missed_now(db.session, message, current_user, datetime.now(UTC)),
        "The missed message goes out at the worker's next poll.",
    )


@blueprint.post("/<int:campaign_id>/messages/<int:message_id>/skip")
@login_required
def skip(campaign_id: int, message_id: int):
    return _decide(
        campaign_id,
        message_id,
        lambda message: skip_missed(db.session, message, current_user),
        "The missed message was skipped; it will not be sent.",
    )


@blueprint.post("/<int:campaign_id>/messages/<int:message_id>/resend-post")
@login_required
def resend_uncertain_post(campaign_id: int, message_id: int):
    return _decide(
        campaign_id,
        message_id,
        lambda message: resend_post(db.session, message, current_user, datetime.now(UTC)),
        "The post goes out at the worker's next poll; it is looked for on X first, so it is never posted twice.",
    )


@blueprint.post("/<int:campaign_id>/messages/<int:message_id>/skip-post")
@login_required
def skip_uncertain_post(campaign_id: int, message_id: int):
    return _decide(
        campaign_id,
        message_id,
        lambda message: skip_post(db.session, message, current_user),
        "The post was skipped; the rest of its thread will not be posted.",
    )
