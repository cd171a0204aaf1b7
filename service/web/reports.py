"""The campaign report page and its CSV export (thin: the figures come from service.campaigns.report)."""

from flask import Blueprint, Response, render_template
from flask_login import login_required

from service.campaigns.report import campaign_report, report_csv
from service.extensions import db
from service.models import Campaign

blueprint = Blueprint("reports", __name__, url_prefix="/campaigns")


@blueprint.get("/<int:campaign_id>/report")
@login_required
def show(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    return render_template("reports/campaign.html", campaign=campaign, report=campaign_report(db.session, campaign))


@blueprint.get("/<int:campaign_id>/report.csv")
@login_required
def export(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    body = report_csv(campaign_report(db.session, campaign))
    filename = f"report-campaign-{campaign.id}.csv"
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})
