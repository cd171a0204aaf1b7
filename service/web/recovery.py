"""The two decisions about a missed message, taken on the campaign page: send it now, or skip it."""

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user, login_required

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
    except RecoveryError as error:
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
