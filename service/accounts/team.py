"""The team an admin manages: invitations, roles, deactivation; and anyone's forgotten password.

Every change is in the audit log, naming accounts by id (never by address). Emails to staff are built by
service.outgoing.staff and go through the configured email channel, to the account's own address only.
"""

from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service import audit
from service.accounts.links import INVITATION, PASSWORD_RESET, account_for_link
from service.accounts.login import account_for
from service.accounts.passwords import change_password, end_every_session
from service.models import User
from service.models.users import ROLES
from service.subscribers.tokens import SigningKeys


class TeamError(ValueError):
    """A change the team page cannot make; `field` names the form field it belongs beside."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Invitation:
    email: str
    name: str
    role: str


def invite(session: Session, data: Invitation, admin: User, now: datetime) -> User:
    """A new account with no password yet; its owner sets one (and two-factor) from the emailed link."""
    try:
        email = validate_email(data.email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise TeamError("Enter a valid email address.", "email") from error
    if not data.name.strip():
        raise TeamError("Enter the person's name.", "name")
    if data.role not in ROLES:
        raise TeamError("Choose a role.", "role")
    if account_for(session, email) is not None:
        raise TeamError("There is already an account with that email.", "email")
    user = User(email=email, name=data.name.strip(), role=data.role, password_hash="", invited_at=now, active=True)
    session.add(user)
    session.flush()
    audit.record(session, "account:invited", actor=admin, detail=f"account #{user.id} invited as {data.role}")
    return user


def record_resent(session: Session, user: User, admin: User) -> None:
    audit.record(session, "account:invitation-resent", actor=admin, detail=f"account #{user.id}")


def accept_invitation(session: Session, keys: SigningKeys, token: str, password: str) -> User:
    """Set the invited account's first password (the link is spent). Raises StaffLinkError or PasswordPolicyError."""
    user = account_for_link(session, keys, INVITATION, token)
    change_password(user, password)
    audit.record(session, "account:invitation-accepted", actor=user, detail=f"account #{user.id}")
    return user


def reset_password(session: Session, keys: SigningKeys, token: str, password: str) -> User:
    user = account_for_link(session, keys, PASSWORD_RESET, token)
    change_password(user, password)
    audit.record(session, "account:password-reset", actor=user, detail=f"account #{user.id}")
    return user


def change_own_password(session: Session, user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise TeamError("That is not your current password.", "current_password")
    change_password(user, new)
    audit.record(session, "account:password-changed", actor=user, detail=f"account #{user.id}")


def _other_admins(session: Session, user: User) -> int:
    query = select(func.count()).select_from(User).where(User.role == "admin", User.active, User.id != user.id)
    return session.scalar(query)


def change_role(session: Session, user: User, role: str, admin: User) -> None:
    if role not in ROLES:
        raise TeamError("Choose a role.", "role")
    if role == user.role:
        return
    if user.role == "admin" and not _other_admins(session, user):
        raise TeamError("This is the last active admin; make someone else an admin first.", "role")
    before, user.role = user.role, role
    # Pages seen with the old role's rights must not stay usable.
    end_every_session(user)
    audit.record(session, "account:role-changed", actor=admin, detail=f"account #{user.id}: {before} -> {role}")


def deactivate(session: Session, user: User, admin: User) -> None:
    if user.id == admin.id:
        raise TeamError("You cannot deactivate your own account.")
    if user.role == "admin" and not _other_admins(session, user):
        raise TeamError("This is the last active admin.")
    user.active = False
    end_every_session(user)
    audit.record(session, "account:deactivated", actor=admin, detail=f"account #{user.id}")


def reactivate(session: Session, user: User, admin: User) -> None:
    user.active = True
    audit.record(session, "account:reactivated", actor=admin, detail=f"account #{user.id}")


def account_for_reset(session: Session, email: str) -> User | None:
    """The account a "forgot password" request may email, or None (unknown, deactivated, or not yet invited in).
    The caller answers the same either way."""
    user = account_for(session, email)
    if user is None or not user.active or not user.has_password:
        return None
    audit.record(session, "account:password-reset-requested", detail=f"account #{user.id}")
    return user
