"""After a review-loop step is committed on the web, the staff notes go out (see service.campaigns.review_notices)."""

from flask import current_app, flash
from flask_login import current_user

from service.campaigns.review_notices import notify_review_step
from service.channels.registry import email_channel_for_request
from service.extensions import db
from service.models import Campaign


def notify_after(step: str, campaign: Campaign, comment: str = "") -> None:
    config = current_app.config
    channel = email_channel_for_request(config)
    for problem in notify_review_step(db.session, channel, config, step, campaign, current_user, comment):
        flash(problem, "error")
