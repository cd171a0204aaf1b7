"""Registers every command group on the app."""

from flask import Flask

from service.commands import (  # campaign_steps adds its commands to the campaigns group
    articles,
    campaign_steps,  # noqa: F401
    campaigns,
    claims,
    dev,
    feed,
    keys,
    posts,
    subscribers,
    users,
    worker,
)


def register(app: Flask) -> None:
    for module in (articles, campaigns, claims, feed, posts, subscribers, users, worker, dev, keys):
        app.cli.add_command(module.group)
