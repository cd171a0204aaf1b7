"""The password policy, for every way an account gets or changes a password (invitation, reset, CLI, seed)."""

from werkzeug.security import generate_password_hash
from zxcvbn import zxcvbn

from service.models import User

MIN_LENGTH = 10
MAX_LENGTH = 200
# zxcvbn's 0-4 scale: 3 is "safely unguessable" against an online attack and hard offline.
MIN_SCORE = 3
# Words anyone would try first against this app's accounts.
APP_WORDS = ("tidings", "daytryp")


class PasswordPolicyError(ValueError):
    """The password is not allowed; the message says why and how to do better, for a person."""


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why `password` is refused for the account with this email and name, or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    hints = [email, email.split("@")[0], name, *name.split(), *APP_WORDS]
    # zxcvbn reads at most 72 characters; a longer password is at least as strong as its first 72.
    estimate = zxcvbn(password[:72], user_inputs=[hint for hint in hints if hint])
    if estimate["score"] >= MIN_SCORE:
        return None
    feedback = estimate["feedback"]
    advice = " ".join(part for part in (feedback["warning"], *feedback["suggestions"]) if part)
    return "This password is too easy to guess." + (f" {advice}" if advice else "")


def require_good_password(user: User, password: str) -> None:
    if problem := password_problem(password, email=user.email or "", name=user.name or ""):
        raise PasswordPolicyError(problem)


def change_password(user: User, password: str) -> None:
    """Set a new password that meets the policy, and end every session the account had."""
    require_good_password(user, password)
    user.set_password(password)
    end_every_session(user)


def end_every_session(user: User) -> None:
    """Every session cookie and remember cookie of this account stops working at its next request."""
    user.session_version = (user.session_version or 1) + 1


# Checked against when no account matches, so an unknown email costs the same hashing work as a known one.
UNKNOWN_ACCOUNT_HASH = generate_password_hash("no account has this password")
