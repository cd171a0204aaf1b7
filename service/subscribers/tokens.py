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
    """The subscriber a token names (whether or not it also names a message)."""
    return read_token_issued(secret_key, purpose, token, max_age_seconds)[0]


def make_message_token(secret_key: SigningKeys, purpose: str, public_id: str, message_id: int) -> str:
    """A token that also names the message whose email carried it (a newsletter's unsubscribe link and header)."""
    return _serializer(secret_key, purpose).dumps([public_id, message_id])


def read_token_issued(
    secret_key: SigningKeys, purpose: str, token: str, max_age_seconds: int | None = None
) -> tuple[str | int, datetime]:
    """Like read_token, and also when the token was made: a link older than the state it acts on is refused."""
    subject, _message_id, issued = read_message_token_issued(secret_key, purpose, token, max_age_seconds)
    return subject, issued


def read_message_token_issued(
    secret_key: SigningKeys, purpose: str, token: str, max_age_seconds: int | None = None
) -> tuple[str | int, int | None, datetime]:
    """(subscriber's public id, or an older token's row id; message id or None; when made) of a token from
    make_token or make_message_token."""
    try:
        value, issued = _serializer(secret_key, purpose).loads(token, max_age=max_age_seconds, return_timestamp=True)
        if isinstance(value, list) and len(value) == 2 and type(value[1]) is int:
            return _subject(value[0]), value[1], issued.astimezone(UTC)
        return _subject(value), None, issued.astimezone(UTC)
    except SignatureExpired as error:
        raise TokenError("This link has expired.", expired=True) from error
    except (BadSignature, ValueError, TypeError) as error:
        raise TokenError("This link is not valid.") from error
