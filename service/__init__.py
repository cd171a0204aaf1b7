"""Tidings: articles become campaigns, campaigns become newsletters and posts, sent on schedule after review."""

import logging
from collections.abc import Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from service import log_redaction, settings, upserts
from service.extensions import csrf, db, limiter, login_manager, migrate
from service.settings import REPO_ROOT


def create_app(config: Mapping | None = None) -> Flask:
    """The application factory. `config` overrides the settings read from the environment (tests pass it)."""
    app = Flask(
        __name__,
        instance_path=str(settings.INSTANCE_DIR),
        template_folder=str(REPO_ROOT / "templates"),
        static_folder="web/static",
    )
    loaded = settings.load_settings()
    loaded.update(config or {})
    settings.validate(loaded)
    app.config.update(loaded)
    trust_proxies(app)
    settings.INSTANCE_DIR.mkdir(exist_ok=True)
    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES proxies, take the client's address and scheme from their X-Forwarded-* headers; with
    none, those headers are ignored (anyone can send them, for instance to dodge the signup rate limit)."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def configure_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # APScheduler logs every job run at INFO: a line every few seconds that drowns what matters.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    # No link token or email address in any log line: the app's, the worker's, gunicorn's (and its access log's).
    log_redaction.install("gunicorn.error", "gunicorn.access")


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            upserts.send_lists_in_binary(engine)
    migrate.init_app(app, db, directory=str(REPO_ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)


# The web layer and the commands are imported when an app is made, not with the package: a process that needs
# only part of the service (the worker's encoding process, see service/worker/batch_encoding.py) loads only that.


def register_blueprints(app: Flask) -> None:
    from service import web

    web.register(app)


def register_errorhandlers(app: Flask) -> None:
    from service.web import errors

    errors.register(app)


def register_commands(app: Flask) -> None:
    from service import cli

    cli.register(app)
