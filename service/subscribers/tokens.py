"""Signed, opaque tokens for subscriber links: they carry an id and a purpose, never an address."""

from collections.abc import Sequence
from datetime import UTC, datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

PURPOSES = ("unsubscribe", "confirm", "preferences")


class TokenError(ValueError):
    """The link is broken, tampered with, or expired; `expired` tells which, for a friendly page."""

    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.expired = expired


# A key, or the keys of a rotation oldest first: tokens are signed with the last and read with any of them.
SigningKeys = str | Sequence[str]


def _serializer(secret_key: SigningKeys, purpose: str) -> URLSafeTimedSerializer:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    keys = secret_key if isinstance(secret_key, str) else list(secret_key)
    return URLSafeTimedSerializer(keys, salt=f"tidings-{purpose}")


def make_token(secret_key: SigningKeys, purpose: str, subscriber_id: int) -> str:
    return _serializer(secret_key, purpose).dumps(subscriber_id)


def read_token(secret_key: SigningKeys, purpose: str, token: str, max_age_seconds: int | None = None) -> int:
    try:
        return int(_serializer(secret_key, purpose).loads(token, max_age=max_age_seconds))
    except SignatureExpired as error:
        raise TokenError("This link has expired.", expired=True) from error
    except (BadSignature, ValueError, TypeError) as error:
        raise TokenError("This link is not valid.") from error


def read_token_issued(
    secret_key: SigningKeys, purpose: str, token: str, max_age_seconds: int | None = None
) -> tuple[int, datetime]:
    """Like read_token, and also when the token was made: a link older than the state it acts on is refused."""
    try:
        value, issued = _serializer(secret_key, purpose).loads(token, max_age=max_age_seconds, return_timestamp=True)
        return int(value), issued.astimezone(UTC)
    except SignatureExpired as error:
        raise TokenError("This link has expired.", expired=True) from error
    except (BadSignature, ValueError, TypeError) as error:
        raise TokenError("This link is not valid.") from error
