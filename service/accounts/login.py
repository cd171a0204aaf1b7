"""Checking a password at sign-in, the same way whether or not the account exists, and recording failures."""

import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from service import audit
from service.accounts.passwords import UNKNOWN_ACCOUNT_HASH
from service.models import User


def account_key(email: str) -> str:
    """Stands in for an email in logs and rate-limit keys: a short hash, never the address itself."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def account_for(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


@dataclass(frozen=True)
class LoginAttempt:
    user: User | None  # the account, when the password was right and the account may sign in
    failure: str = ""  # why not, for the audit log and the app log (never shown: the page says the same always)


def check_login(session: Session, email: str, password: str) -> LoginAttempt:
    """One password hash check whatever happens: an unknown account is checked against a stand-in hash, so how
    long a refusal takes does not tell whether the account exists."""
    user = account_for(session, email)
    if user is None or not user.has_password:
        check_password_hash(UNKNOWN_ACCOUNT_HASH, password)
        return LoginAttempt(None, "unknown account" if user is None else "invited, no password yet")
    if not user.check_password(password):
        return LoginAttempt(None, "wrong password")
    if not user.active:
        return LoginAttempt(None, "account deactivated")
    return LoginAttempt(user)


def record_failed_login(session: Session, email: str, attempt: LoginAttempt, client: str) -> str:
    """The audit entry of a refused sign-in; returns the line for the app log. Names the account by id when it
    exists, by a hash of the typed email when not: never the address, never the password."""
    user = account_for(session, email)
    who = f"account #{user.id}" if user else f"unknown account {account_key(email)}"
    line = f"login refused for {who} from {client}: {attempt.failure}"
    audit.record(session, "login:failed", detail=line)
    return line


def record_failed_code(session: Session, user: User, why: str, client: str) -> str:
    """The audit entry of a right password followed by a wrong two-factor code; returns the app log's line."""
    line = f"login refused for account #{user.id} from {client}: two-factor code: {why}"
    audit.record(session, "login:failed", detail=line)
    return line
