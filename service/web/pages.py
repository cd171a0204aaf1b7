"""What every marketer page shares: the home page (the app opens on it) and the worker-health banner."""

from datetime import UTC, datetime

from flask import Blueprint, Flask, current_app, render_template
from flask_login import current_user, login_required

from service.campaigns.guardrails import Thresholds, dormant_list_warning
from service.campaigns.home import home_for
from service.extensions import db
from service.heartbeat import Liveness, worker_alive
from service.timezones import utc_to_local

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
@login_required
def home():
    thresholds, now = Thresholds.from_config(current_app.config), datetime.now(UTC)
    return render_template(
        "home.html",
        home=home_for(db.session, current_user, thresholds, now, Liveness.from_config(current_app.config)),
        dormant_warning=dormant_list_warning(db.session, thresholds, now),
    )


def init_app(app: Flask) -> None:
    @app.context_processor
    def shared_context():
        if not current_user.is_authenticated:
            return {"worker_missing": False}
        return {"worker_missing": not worker_alive(db.session, datetime.now(UTC), Liveness.from_config(app.config))}

    @app.template_filter("local")
    def local_time(instant: datetime | None, fmt: str = "%a %b %-d, %Y %-I:%M %p") -> str:
        if instant is None:
            return ""
        return utc_to_local(instant, app.config["CLINIC_TIMEZONE"]).strftime(fmt)
