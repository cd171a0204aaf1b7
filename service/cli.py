"""Registers every command group on the app."""

from flask import Flask

from service.commands import articles, campaigns, dev, users, worker


def register(app: Flask) -> None:
    for module in (articles, campaigns, users, worker, dev):
        app.cli.add_command(module.group)
