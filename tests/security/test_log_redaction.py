"""No log holds a link token or an email address: the app's log on a 500 (Flask's "Exception on <path>"), the
worker's, gunicorn's error log and its access log, read in full from the processes that wrote them."""

import logging

import requests
from gunicorn.config import Config

from service import create_app
from service.subscribers.tokens import make_token
from service.web.access_log import TokenRedactingLogger
from service.worker.context import WorkerContext
from service.worker.scheduler import _in_app
from tests.app_config import base_config
from tests.procfile_web import procfile_web

SECRET = "log-redaction-test-secret-key-long-enough"
ADDRESS = "someone.private@example.org"


def test_a_500_on_a_token_route_logs_no_token_anywhere(tmp_path):
    """The database has no tables, so a valid confirmation link fails inside the route: a 500, logged with its path."""
    env = {
        "TIDINGS_ENV": "development",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
        "OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    token = make_token(SECRET, "confirm", 12345)
    with procfile_web(tmp_path, env) as web:
        base = web.base_url
        response = requests.get(f"{base}/confirm/{token}", headers={"Referer": f"{base}/confirm/{token}"}, timeout=10)
        signup = requests.post(f"{base}/api/subscribe", json={"email": ADDRESS, "topics": ["newsletter"]}, timeout=10)

    logged = web.logged()
    # The signup is answered first and recorded after: its failure is logged, not answered.
    assert response.status_code == 500 and signup.status_code == 202
    assert "signup: recording or mailing a signup failed" in logged
    assert "Exception on /confirm/[token] [GET]" in logged, logged
    assert "Traceback" in logged
    assert token not in logged and token.split(".")[-1] not in logged
    assert ADDRESS not in logged


def test_worker_logs_are_redacted_tracebacks_included(tmp_path, caplog):
    app = create_app(base_config(tmp_path, f"sqlite:///{tmp_path / 'w.db'}"))
    token = make_token(SECRET, "unsubscribe", 7)

    def failing_job():
        logging.getLogger("service.worker.dispatch").warning("sending to %s", ADDRESS)
        raise RuntimeError(f"provider refused {ADDRESS} with https://tidings.test/unsubscribe/{token}")

    with caplog.at_level(logging.INFO):
        _in_app(app, WorkerContext.from_config(app.config), failing_job)()
    logged = caplog.text
    assert "worker job failed" in logged and "RuntimeError" in logged
    assert ADDRESS not in logged and token not in logged
    assert "[address]" in logged and "/unsubscribe/[token]" in logged


def test_gunicorns_error_log_is_redacted(tmp_path):
    config = Config()
    config.set("errorlog", str(tmp_path / "error.log"))
    logger = TokenRedactingLogger(config)
    token = make_token(SECRET, "preferences", 3)
    logger.error("Error handling request /preferences/%s for %s", token, ADDRESS)
    logger.exception("Exception in worker process: %s", f"/confirm/{token}")
    for handler in logger.error_log.handlers:
        handler.flush()
    logged = (tmp_path / "error.log").read_text("utf-8")
    assert "Error handling request /preferences/[token]" in logged
    assert token not in logged and ADDRESS not in logged
