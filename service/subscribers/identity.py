"""Normalised addresses and the keyed hash that stands in for an address wherever the address must not be kept."""

import hashlib
import hmac


def normalize_email(address: str) -> str:
    return address.strip().lower()


def email_hash(address: str, secret_key: str) -> str:
    """HMAC-SHA256 of the normalised address, keyed so a leaked suppression list cannot be reversed by guessing."""
    return hmac.new(secret_key.encode(), normalize_email(address).encode(), hashlib.sha256).hexdigest()
