"""The web process: marketer pages, public subscriber pages, webhooks. Handlers stay thin."""

from flask import Flask

from service.campaigns.lifecycle import allowed_actions
from service.web import (
    account,
    articles,
    audit,
    auth,
    batches,
    body_limits,
    calendar,
    campaign_posts,
    campaigns,
    composer,
    converters,
    feed,
    health,
    library,
    media,
    outbox,
    pages,
    posts,
    progress,
    public,
    recovery,
    review,
    security_headers,
    subscribers,
    team,
    webhooks,
)


def register(app: Flask) -> None:
    app.url_map.converters["int"] = converters.DatabaseIdConverter
    # The outbox viewer is a development tool that shows recipients' addresses and links: never in production.
    development_only = () if app.config["TIDINGS_ENV"] == "production" else (outbox,)
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
        library,
        audit,
        *development_only,
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
    body_limits.init_app(app)
    security_headers.init_app(app)
    # Templates ask the lifecycle which buttons a campaign gets, rather than listing statuses of their own.
    app.jinja_env.globals["allowed_actions"] = allowed_actions
