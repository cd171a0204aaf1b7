"""The campaign report page and its CSV exports, emails and posts on X (thin: the figures come from
service.campaigns.report)."""

from flask import Blueprint, Response, current_app, render_template
from flask_login import login_required

from service.campaigns.report import campaign_report, link_clicks, posts_csv, published_threads, report_csv
from service.campaigns.report_charts import funnel, hourly_events
from service.extensions import db
from service.models import Campaign

blueprint = Blueprint("reports", __name__, url_prefix="/campaigns")


@blueprint.get("/<int:campaign_id>/report")
@login_required
def show(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    report = campaign_report(db.session, campaign)
    hourly = hourly_events(db.session, campaign)
    links = link_clicks(db.session, campaign)
    counting = bool(current_app.config.get("CLICK_COUNTING_ENABLED")) or bool(links)
    steps = funnel(report, clicks=sum(link.clicks for link in links) if counting else None)
    charts = {
        "hourly-chart": {
            "type": "line",
            "labels": [f"+{hour} h" for hour in hourly.hours],
            "series": [{"label": label, "values": values} for label, values in hourly.series.items()],
        },
        "funnel-chart": {
            "type": "bar",
            "horizontal": True,
            "labels": [label for label, _ in steps],
            "series": [{"label": "Emails", "values": [number for _, number in steps]}],
        },
    }
    return render_template(
        "reports/campaign.html",
        campaign=campaign,
        report=report,
        hourly=hourly,
        funnel=steps,
        charts=charts,
        links=links if counting else None,
        threads=published_threads(db.session, campaign),
    )


@blueprint.get("/<int:campaign_id>/report.csv")
@login_required
def export(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    return _csv_download(report_csv(campaign_report(db.session, campaign)), f"report-campaign-{campaign.id}.csv")


@blueprint.get("/<int:campaign_id>/report-posts.csv")
@login_required
def export_posts(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    body = posts_csv(published_threads(db.session, campaign))
    return _csv_download(body, f"report-campaign-{campaign.id}-posts.csv")


def _csv_download(body: str, filename: str) -> Response:
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})
