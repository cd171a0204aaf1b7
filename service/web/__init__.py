"""The web process: marketer pages, public subscriber pages, webhooks. Handlers stay thin."""

from flask import Flask

from service.campaigns.lifecycle import allowed_actions
from service.campaigns.send_back_notes import open_send_back
from service.compliance.review_comments import threads_of
from service.extensions import db
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
    clicks,
    composer,
    converters,
    deliverability,
    feed,
    growth,
    health,
    library,
    media,
    outbox,
    pages,
    posts,
    progress,
    public,
    recovery,
    reports,
    review,
    review_queue,
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
        reports,
        deliverability,
        review,
        review_queue,
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
        clicks,
        subscribers,
        growth,
        webhooks,
    ):
        app.register_blueprint(module.blueprint)
    auth.init_app(app)
    pages.init_app(app)
    deliverability.init_app(app)
    body_limits.init_app(app)
    security_headers.init_app(app)
    # Templates ask the lifecycle which buttons a campaign gets, rather than listing statuses of their own.
    app.jinja_env.globals["allowed_actions"] = allowed_actions
    app.jinja_env.globals["open_send_back"] = lambda campaign: open_send_back(db.session, campaign)
    app.jinja_env.globals["review_threads"] = lambda campaign: threads_of(db.session, campaign)
    app.jinja_env.globals["comment_anchor"] = review.anchor_for
