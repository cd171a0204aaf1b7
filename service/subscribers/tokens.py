"""Signed, opaque tokens for subscriber links: they carry a subscriber's random public id and a purpose, never an
address nor the sequential row id. (Tokens made before public ids carried the row id; they are read as such for
their lifetime, see links.subscriber_for.)"""

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


def make_token(secret_key: SigningKeys, purpose: str, public_id: str | int) -> str:
    return _serializer(secret_key, purpose).dumps(public_id)


def _subject(value) -> str | int:
    # A public id (str), or the row id older tokens carry (int); anything else was never made by make_token.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError("not a subscriber token")
    return value


def read_token(secret_key: SigningKeys, purpose: str, token: str, max_age_seconds: int | None = None) -> str | int:
    try:
        return _subject(_serializer(secret_key, purpose).loads(token, max_age=max_age_seconds))
    except SignatureExpired as error:
        raise TokenError("This link has expired.", expired=True) from error
    except (BadSignature, ValueError, TypeError) as error:
        raise TokenError("This link is not valid.") from error


def read_token_issued(
    secret_key: SigningKeys, purpose: str, token: str, max_age_seconds: int | None = None
) -> tuple[str | int, datetime]:
    """Like read_token, and also when the token was made: a link older than the state it acts on is refused."""
    try:
        value, issued = _serializer(secret_key, purpose).loads(token, max_age=max_age_seconds, return_timestamp=True)
        return _subject(value), issued.astimezone(UTC)
    except SignatureExpired as error:
        raise TokenError("This link has expired.", expired=True) from error
    except (BadSignature, ValueError, TypeError) as error:
        raise TokenError("This link is not valid.") from error
