"""`flask users create EMAIL --name NAME --role ROLE` (asks for the password)."""

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from service.extensions import db
from service.models import User
from service.models.users import ROLES

group = AppGroup("users", help="Manage marketer accounts.")


def ensure_user(email: str, name: str, role: str, password: str, *, reset_password: bool = False) -> tuple[User, bool]:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is not None:
        if reset_password:
            user.set_password(password)
        return user, False
    user = User(email=email.strip().lower(), name=name, role=role)
    user.set_password(password)
    db.session.add(user)
    return user, True


@group.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(ROLES), default="marketer", show_default=True)
@click.password_option()
def create_command(email: str, name: str, role: str, password: str) -> None:
    if len(password) < 10:
        raise click.ClickException("Use a password of at least 10 characters.")
    user, created = ensure_user(email, name, role, password)
    if not created:
        raise click.ClickException("An account with that email already exists.")
    db.session.commit()
    click.echo(f"Created {role} account {user.id} ({name}).")
