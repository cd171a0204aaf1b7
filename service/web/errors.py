"""Error pages that say what happened without echoing anything personal."""

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError


def register(app: Flask) -> None:
    def page(status: int, title: str, message: str):
        return render_template("error.html", title=title, message=message), status

    app.register_error_handler(CSRFError, lambda e: page(400, "Form expired", "Please go back, reload and try again."))
    app.register_error_handler(403, lambda e: page(403, "Not allowed", "Your account cannot do that."))
    app.register_error_handler(404, lambda e: page(404, "Not found", "There is nothing at this address."))
    app.register_error_handler(429, lambda e: page(429, "Slow down", "Too many requests; try again in a minute."))
    app.register_error_handler(500, lambda e: page(500, "Something went wrong", "The error was logged."))
