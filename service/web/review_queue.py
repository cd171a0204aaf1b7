"""The review queue page: what waits for a reviewer, oldest first."""

from flask import Blueprint, current_app, render_template
from flask_login import login_required

from service.campaigns.review_queue import review_queue
from service.extensions import db

blueprint = Blueprint("review_queue", __name__, url_prefix="/review")


@blueprint.get("")
@login_required
def index():
    return render_template("review/queue.html", waiting=review_queue(db.session, current_app.config))
