"""`flask secrets generate`: a new random key for SECRET_KEY or EMAIL_HASH_KEY."""

import click
from flask.cli import AppGroup

from service.signing_keys import generate_key

group = AppGroup("secrets", help="Keys for SECRET_KEY and EMAIL_HASH_KEY.")


@group.command("generate")
def generate_command() -> None:
    """Print a new random key (256 bits). To rotate SECRET_KEY, put the old key first in SECRET_KEY_FALLBACKS."""
    click.echo(generate_key())
