"""Error pages that say what happened without echoing anything personal."""

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError

from service.extensions import db
from service.web.body_limits import limit_for_request

log = logging.getLogger(__name__)


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):.0f} MB" if count >= 1024 * 1024 else f"{max(1, count // 1024)} KB"


def register(app: Flask) -> None:
    def page(status: int, title: str, message: str):
        return render_template("error.html", title=title, message=message), status

    def too_large(error):
        message = f"What you sent is larger than this page accepts (at most {_size(limit_for_request())})."
        if request.is_json or request.path.startswith(("/api/", "/webhooks/")):
            return jsonify(error=message), 413
        return page(413, "Too large", message + " Nothing was saved.")

    def server_error(error):
        # A database error leaves the session's transaction aborted: without this rollback the page's own queries
        # (the current user, the worker banner) fail too, and the person gets a bare "Internal Server Error".
        db.session.rollback()
        return page(500, "Something went wrong", "The error was logged.")

    app.register_error_handler(CSRFError, lambda e: page(400, "Form expired", "Please go back, reload and try again."))
    app.register_error_handler(403, lambda e: page(403, "Not allowed", "Your account cannot do that."))
    app.register_error_handler(404, lambda e: page(404, "Not found", "There is nothing at this address."))
    app.register_error_handler(413, too_large)
    app.register_error_handler(429, lambda e: page(429, "Slow down", "Too many requests; try again in a minute."))
    app.register_error_handler(500, server_error)
