"""Provider webhooks. SendGrid's event webhook: signed, so anything not provably SendGrid's is refused (403)."""

import json
import logging
import time
from datetime import UTC, datetime

from flask import Blueprint, current_app, jsonify, request

from service.channels.email.sendgrid_webhook import DEFAULT_MAX_AGE_SECONDS, WebhookRefused, verify_request
from service.email_events import record_events
from service.extensions import csrf, db

log = logging.getLogger(__name__)

blueprint = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@blueprint.post("/sendgrid")
@csrf.exempt  # SendGrid cannot send our CSRF token; the signature is what proves the request is SendGrid's.
def sendgrid_events():
    body = request.get_data(cache=True)
    config = current_app.config
    try:
        verify_request(
            body,
            request.headers,
            public_key=config.get("SENDGRID_WEBHOOK_PUBLIC_KEY"),
            now=time.time(),
            max_age_seconds=int(config.get("SENDGRID_WEBHOOK_MAX_AGE_SECONDS", DEFAULT_MAX_AGE_SECONDS)),
        )
    except WebhookRefused as refusal:
        log.warning("SendGrid webhook refused: %s", refusal)
        return jsonify(error="signature not valid"), 403
    try:
        result = record_events(
            db.session,
            json.loads(body),
            hash_key=config["EMAIL_HASH_KEY"],
            tracking=bool(config.get("TRACKING_ENABLED")),
            now=datetime.now(UTC),
        )
    except ValueError:
        db.session.rollback()
        return jsonify(error="the body must be a JSON array of events"), 400
    db.session.commit()
    return jsonify(recorded=result.recorded, duplicates=result.duplicates, ignored=result.ignored), 200
