"""The sending calendar: what goes out in the coming weeks, in the clinic's time, by day."""

from datetime import UTC, datetime

from flask import Blueprint, current_app, render_template
from flask_login import login_required

from service.campaigns.calendar import CALENDAR_WEEKS, missed_messages, upcoming_sends
from service.extensions import db
from service.timezones import DST_RULE

blueprint = Blueprint("calendar", __name__, url_prefix="/calendar")


@blueprint.get("")
@login_required
def index():
    tz_name = current_app.config["CLINIC_TIMEZONE"]
    return render_template(
        "calendar/index.html",
        days=upcoming_sends(db.session, datetime.now(UTC), tz_name),
        missed=missed_messages(db.session),
        weeks=CALENDAR_WEEKS,
        timezone=tz_name,
        dst_rule=DST_RULE,
    )
