"""Signed, single-use links for staff: an invitation (48 hours) and a password reset (1 hour).

A link carries the account's id and a fingerprint of its current password hash: once the password is set or
changed, the fingerprint no longer matches and the link is spent. It never carries an address.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from service.models import User
from service.subscribers.tokens import SigningKeys


@dataclass(frozen=True)
class StaffLink:
    purpose: str
    max_age: timedelta


INVITATION = StaffLink("staff-invitation", timedelta(hours=48))
PASSWORD_RESET = StaffLink("staff-password-reset", timedelta(hours=1))


class StaffLinkError(ValueError):
    """The link is broken, expired, already used, or its account is deactivated; the message is for a person."""


def _fingerprint(user: User) -> str:
    return hashlib.sha256(f"{user.password_hash}|{user.session_version}".encode()).hexdigest()[:20]


def _serializer(keys: SigningKeys, link: StaffLink) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(keys if isinstance(keys, str) else list(keys), salt=f"tidings-{link.purpose}")


def make_link_token(keys: SigningKeys, link: StaffLink, user: User) -> str:
    return _serializer(keys, link).dumps([user.id, _fingerprint(user)])


def account_for_link(session: Session, keys: SigningKeys, link: StaffLink, token: str) -> User:
    try:
        user_id, fingerprint = _serializer(keys, link).loads(token, max_age=int(link.max_age.total_seconds()))
    except SignatureExpired as error:
        raise StaffLinkError("This link has expired; ask for a new one.") from error
    except (BadSignature, ValueError, TypeError) as error:
        raise StaffLinkError("This link is not valid.") from error
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active or fingerprint != _fingerprint(user):
        raise StaffLinkError("This link was used already or is no longer valid; ask for a new one.")
    return user
