"""What every marketer page shares: the home redirect and the worker-health banner."""

from datetime import UTC, datetime

from flask import Blueprint, Flask, redirect, url_for
from flask_login import current_user

from service.extensions import db
from service.heartbeat import Liveness, worker_alive
from service.timezones import utc_to_local

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
def home():
    return redirect(url_for("campaigns.index"))


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
