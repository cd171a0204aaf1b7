"""The web process: marketer pages, public subscriber pages, webhooks. Handlers stay thin."""

from flask import Flask

from service.web import (
    account,
    articles,
    audit,
    auth,
    batches,
    calendar,
    campaign_posts,
    campaigns,
    composer,
    feed,
    health,
    media,
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
        composer,
        campaign_posts,
        review,
        audit,
        outbox,
        health,
        media,
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
