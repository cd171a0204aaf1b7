"""Liveness for load balancers: the web process answers and the database responds."""

from datetime import UTC, datetime

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from service.extensions import db
from service.heartbeat import Liveness, last_seen, worker_alive

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    now = datetime.now(UTC)
    seen = last_seen(db.session)
    return jsonify(
        status="ok",
        database="ok",
        worker="ok" if worker_alive(db.session, now, Liveness.from_config(current_app.config)) else "missing",
        worker_last_seen=seen.isoformat() if seen else None,
    )
