"""`flask users create EMAIL --name NAME --role ROLE`, `flask users set-password EMAIL` (both ask for the password)
and `flask users reset-two-factor EMAIL` (a lost phone and lost recovery codes)."""

import click
from flask.cli import AppGroup

from service import audit
from service.accounts import two_factor
from service.accounts.login import account_for
from service.accounts.passwords import PasswordPolicyError, change_password, require_good_password
from service.extensions import db
from service.models import User
from service.models.users import ROLES

group = AppGroup("users", help="Manage staff accounts.")


def ensure_user(email: str, name: str, role: str, password: str, *, reset_password: bool = False) -> tuple[User, bool]:
    """The account with this email, made if missing. The password must meet the policy (PasswordPolicyError)."""
    user = account_for(db.session, email)
    if user is not None:
        if reset_password and not user.check_password(password):
            change_password(user, password)
        return user, False
    user = User(email=email.strip().lower(), name=name, role=role)
    require_good_password(user, password)
    user.set_password(password)
    db.session.add(user)
    return user, True


def _account(email: str) -> User:
    user = account_for(db.session, email)
    if user is None:
        raise click.ClickException("No account has that email.")
    return user


@group.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(ROLES), default="marketer", show_default=True)
@click.password_option()
def create_command(email: str, name: str, role: str, password: str) -> None:
    try:
        user, created = ensure_user(email, name, role, password)
    except PasswordPolicyError as error:
        raise click.ClickException(str(error)) from error
    if not created:
        raise click.ClickException("An account with that email already exists.")
    db.session.flush()
    audit.record(db.session, "account:created", detail=f"account #{user.id} as {role}, from the command line")
    db.session.commit()
    click.echo(f"Created {role} account {user.id} ({name}).")


@group.command("set-password")
@click.argument("email")
@click.password_option()
def set_password_command(email: str, password: str) -> None:
    """A new password; every session of the account ends."""
    user = _account(email)
    try:
        change_password(user, password)
    except PasswordPolicyError as error:
        raise click.ClickException(str(error)) from error
    audit.record(db.session, "account:password-changed", detail=f"account #{user.id}, from the command line")
    db.session.commit()
    click.echo(f"Password changed for account {user.id}; its sessions have ended.")


@group.command("reset-two-factor")
@click.argument("email")
def reset_two_factor_command(email: str) -> None:
    """Turn two-factor sign-in off, so its owner can set it up again (a lost phone and lost recovery codes)."""
    user = _account(email)
    two_factor.disable(db.session, user, actor=None)
    db.session.commit()
    click.echo(f"Two-factor sign-in is off for account {user.id}; they set it up again at their next sign-in.")
