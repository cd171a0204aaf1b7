"""The web process: marketer pages, public subscriber pages, webhooks. Handlers stay thin."""

from flask import Flask

from service.web import articles, auth, campaigns, health, outbox, pages


def register(app: Flask) -> None:
    for module in (auth, pages, articles, campaigns, outbox, health):
        app.register_blueprint(module.blueprint)
    auth.init_app(app)
    pages.init_app(app)
