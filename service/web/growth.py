"""The List growth page: signups, confirmations, unsubscribes, bounces and complaints per week (thin)."""

from datetime import UTC, datetime

from flask import Blueprint, current_app, render_template

from service.extensions import db
from service.models.users import EDITOR_ROLES
from service.subscribers.growth import list_growth
from service.web.auth import roles_required

blueprint = Blueprint("growth", __name__, url_prefix="/subscribers")

LABELS = {
    "signups": "Signups",
    "confirmations": "Confirmations",
    "unsubscribes": "Unsubscribes",
    "bounces": "Bounces",
    "complaints": "Complaints",
}


@blueprint.get("/growth")
@roles_required(*EDITOR_ROLES)
def show():
    growth = list_growth(db.session, current_app.config["CLINIC_TIMEZONE"], datetime.now(UTC))
    charts = {
        "growth-chart": {
            "type": "bar",
            "labels": [f"{monday:%b %-d}" for monday in growth.weeks],
            "series": [{"label": LABELS[m], "values": values} for m, values in growth.totals.items()],
        }
    }
    return render_template("subscribers/growth.html", growth=growth, labels=LABELS, charts=charts)
