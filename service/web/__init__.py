"""The web process: marketer pages, public subscriber pages, webhooks. Handlers stay thin."""

from flask import Flask

from service.web import (
    account,
    articles,
    audit,
    auth,
    batches,
    calendar,
    campaigns,
    feed,
    health,
    outbox,
    pages,
    posts,
    progress,
    public,
    recovery,
    review,
    subscribers,
    team,
    webhooks,
)


def register(app: Flask) -> None:
    for module in (
        auth,
        account,
        team,
        pages,
        articles,
        feed,
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
