"""`flask feed check`: check the blog feed now, as the worker does every 30 minutes, and say what it found."""

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from service.articles.feed import check_blog_feed
from service.channels.registry import email_channel_for
from service.extensions import db

group = AppGroup("feed", help="The clinic's blog feed (BLOG_FEED_URL).")


@group.command("check")
def check_command() -> None:
    """Exits 1 when the feed could not be read."""
    config = current_app.config
    result = check_blog_feed(db.session, config, datetime.now(UTC), email_channel_for(config))
    if result is None:
        raise click.ClickException("BLOG_FEED_URL is not set: there is no feed to check.")
    click.echo(
        f"{result.outcome}: {result.items_listed} listed, {result.articles_imported} imported, "
        f"{result.items_failed} failed"
    )
    if result.message:
        click.echo(result.message)
    if result.outcome not in ("ok", "not_modified"):
        raise SystemExit(1)
