"""The keys that sign sessions and links, and the key that hashes addresses: how strong they must be, and rotation.

`SECRET_KEY` signs the session cookie, CSRF tokens and every link we send; `SECRET_KEY_FALLBACKS` are the keys it
replaced, still accepted for reading so a rotation does not break links already sent (they expire as usual).
`EMAIL_HASH_KEY` keys the address hashes of subscribers and suppressions: it never rotates with `SECRET_KEY`,
because a suppression is kept only as its hash and would be forgotten with its key.
"""

import secrets
from collections.abc import Mapping

from zxcvbn import zxcvbn

# Every key our own docs and examples have ever printed (.env.example, README, the development default): a
# production key found in a public repository lets anyone forge an admin session or a confirmation link.
PUBLISHED_KEYS = frozenset(
    {
        "change-me-to-a-long-random-string-in-production",
        "dev-only-not-secret",
        "test-secret-key-that-is-long-enough-for-tests",
    }
)
MIN_KEY_LENGTH = 32
# zxcvbn's estimate, as log10 of the guesses needed: 10^30 is about 100 bits.
MIN_KEY_GUESSES_LOG10 = 30
# At most this share of a key may be made of words, names, dates, repeats, sequences or keyboard walks: a phrase
# of dictionary words looks long to a guess count but is what a word-list attack tries first.
MAX_PATTERN_SHARE = 0.25


def generate_key() -> str:
    """A new random key: 32 bytes (256 bits), URL-safe base64."""
    return secrets.token_urlsafe(32)


def weak_key_reason(key: str | None) -> str | None:
    """Why `key` must not be used in production, or None when it is fit."""
    if not key:
        return "is missing"
    if key in PUBLISHED_KEYS:
        return "is one printed in the docs or examples"
    if len(key) < MIN_KEY_LENGTH:
        return f"must be at least {MIN_KEY_LENGTH} characters"
    estimate = zxcvbn(key[:72])
    patterned = sum(len(match["token"]) for match in estimate["sequence"] if match["pattern"] != "bruteforce")
    if estimate["guesses_log10"] < MIN_KEY_GUESSES_LOG10 or patterned > MAX_PATTERN_SHARE * min(len(key), 72):
        return "is too easy to guess (words, repeats or patterns)"
    return None


def key_list(value: str | None) -> list[str]:
    """SECRET_KEY_FALLBACKS from the environment: keys separated by commas or whitespace, oldest first."""
    return [key for key in (value or "").replace(",", " ").split() if key]


def signing_keys(config: Mapping) -> list[str]:
    """The keys a signed link may carry, oldest first and the current key last (itsdangerous signs with the last
    and accepts any)."""
    return [*config.get("SECRET_KEY_FALLBACKS", ()), config["SECRET_KEY"]]
