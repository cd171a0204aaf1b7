"""One password policy (zxcvbn score 3 or more) wherever an account gets or changes a password."""

import pytest
from sqlalchemy import select

from service.accounts.passwords import password_problem
from service.commands.dev import DEV_ACCOUNTS
from service.extensions import db
from service.models import User

WEAK = ["1234567890", "password123", "aaaaaaaaaaaa", "qwertyuiop", "marketer@example.org"]


@pytest.mark.parametrize("password", WEAK)
def test_guessable_passwords_are_refused(password):
    assert password_problem(password, email="marketer@example.org", name="Mara Marketer")


def test_a_long_uncommon_passphrase_is_fine():
    assert password_problem("Plum tree at the far gate 7", email="a@example.org", name="Ada") is None


def test_the_development_accounts_meet_the_policy():
    for email, name, _, password in DEV_ACCOUNTS:
        assert password_problem(password, email=email, name=name) is None, email


def test_the_cli_refuses_a_weak_password(app, runner):
    result = runner.invoke(args=["users", "create", "new@example.org", "--name", "New"], input="1234567890\n" * 2)
    assert result.exit_code != 0 and "too easy to guess" in result.output
    assert db.session.scalar(select(User).where(User.email == "new@example.org")) is None
    result = runner.invoke(
        args=["users", "create", "new@example.org", "--name", "New"], input="Plum tree at the far gate 7\n" * 2
    )
    assert result.exit_code == 0, result.output


def test_the_cli_password_change_follows_the_policy_and_ends_sessions(app, runner, marketer):
    before = marketer.session_version
    assert runner.invoke(args=["users", "set-password", marketer.email], input="1234567890\n" * 2).exit_code != 0
    result = runner.invoke(args=["users", "set-password", marketer.email], input="Plum tree at the far gate 7\n" * 2)
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert marketer.check_password("Plum tree at the far gate 7") and marketer.session_version > before


def test_changing_your_own_password_to_a_weak_one_is_refused_beside_the_field(app, marketer_client, marketer):
    response = marketer_client.post(
        "/account", data={"current_password": "correct-horse-battery", "new_password": "1234567890"}
    )
    assert response.status_code == 422 and b"too easy to guess" in response.data
    db.session.expire_all()
    assert marketer.check_password("correct-horse-battery")
