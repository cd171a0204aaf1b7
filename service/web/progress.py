"""A campaign's sending progress as JSON, polled by the progress bar on the campaign page."""

from dataclasses import asdict

from flask import Blueprint, jsonify
from flask_login import login_required

from service.campaigns.progress import campaign_progress
from service.extensions import db
from service.models import Campaign

blueprint = Blueprint("progress", __name__)


@blueprint.get("/campaigns/<int:campaign_id>/progress")
@login_required
def show(campaign_id: int):
    progress = campaign_progress(db.get_or_404(Campaign, campaign_id))
    response = jsonify(asdict(progress))
    response.headers["Cache-Control"] = "no-store"
    return response
