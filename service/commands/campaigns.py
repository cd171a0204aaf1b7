"""`flask campaigns load PATH --as EMAIL`: load campaign files (one file or a folder of them), written by EMAIL;
it prints the id of each."""

from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from service.campaigns.editing import CampaignInputError, EditContext
from service.campaigns.files import CampaignFileError, campaign_files, load_campaign_file
from service.extensions import db
from service.models import User

group = AppGroup("campaigns", help="Load campaigns from files, and take a person's steps on them (--as EMAIL).")


def edit_context() -> EditContext:
    return EditContext(
        known_topics=current_app.config["SUBSCRIBER_TOPICS"],
        tz_name=current_app.config["CLINIC_TIMEZONE"],
        now=datetime.now(UTC),
    )


def load_paths(paths: list[Path], author: User) -> list:
    """Load every file in one transaction, written by `author`: one bad file loads nothing."""
    results = []
    for path in paths:
        try:
            results.append(load_campaign_file(db.session, path, edit_context(), author))
        except (CampaignFileError, CampaignInputError) as error:
            db.session.rollback()
            raise click.ClickException(f"{path.name}: {error}") from error
    db.session.commit()
    return results


def user_by_email(email: str) -> User:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise click.BadParameter(f"no account has the address {email!r}", param_hint="--as")
    return user


@group.command("load")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--as",
    "author_email",
    required=True,
    metavar="EMAIL",
    help="The account the campaigns are loaded as: their author, who may then not approve them.",
)
def load_command(path: Path, author_email: str) -> None:
    """Load campaign files as drafts (a file already loaded is left alone) and print each campaign's id."""
    author = user_by_email(author_email)
    paths = campaign_files(path) if path.is_dir() else [path]
    for result in load_paths(paths, author):
        state = "loaded as a draft" if result.created else "already loaded"
        click.echo(f"{result.campaign.id}\t{result.campaign.source_name}: {result.campaign.name} ({state})")
