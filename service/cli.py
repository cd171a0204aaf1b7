"""Registers every command group on the app."""

from flask import Flask

from service.commands import articles, campaigns, claims, dev, feed, keys, posts, subscribers, users, worker


def register(app: Flask) -> None:
    for module in (articles, campaigns, claims, feed, posts, subscribers, users, worker, dev, keys):
        app.cli.add_command(module.group)
