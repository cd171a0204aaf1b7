"""The web process: marketer pages, public subscriber pages, webhooks. Handlers stay thin."""

from flask import Flask

from service.web import (
    articles,
    audit,
    auth,
    batches,
    body_limits,
    calendar,
    campaigns,
    health,
    outbox,
    pages,
    posts,
    progress,
    public,
    recovery,
    review,
    security_headers,
    subscribers,
    webhooks,
)


def register(app: Flask) -> None:
    for module in (
        auth,
        pages,
        articles,
        campaigns,
        review,
        audit,
        outbox,
        health,
        calendar,
        progress,
        recovery,
        posts,
        batches,
        public,
        subscribers,
        webhooks,
    ):
        app.register_blueprint(module.blueprint)
    auth.init_app(app)
    pages.init_app(app)
    body_limits.init_app(app)
    security_headers.init_app(app)
