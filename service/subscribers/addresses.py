"""Checking an address someone typed or a file holds: syntax only (email-validator), never a DNS look-up.

Error messages say what is wrong without repeating the address, so they are safe to show, raise and log.
"""

import re

from email_validator import EmailNotValidError, validate_email

from service.subscribers.identity import normalize_email

MAX_LENGTH = 254


class AddressError(ValueError):
    """The text is not a usable email address; the message never contains the address."""


def parse_address(raw: str) -> str:
    """The address in the one form we store and hash: validated, normalised by email-validator, lower-cased."""
    text = (raw or "").strip()
    if not text:
        raise AddressError("Enter an email address.")
    if len(text) > MAX_LENGTH:
        raise AddressError("That email address is too long.")
    try:
        # Deliverability checks need DNS: slow, flaky, and a signup page must not make look-ups for strangers.
        validated = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        raise AddressError(_without_address(str(error), text)) from None
    return normalize_email(validated.normalized)


def _without_address(message: str, text: str) -> str:
    # email-validator names characters and sometimes the domain, never the whole address; make sure of it.
    return message.replace(text, "the address") if text in message else message


def mask_address(address: str) -> str:
    """'a•••@example.org': enough for its owner to recognise it on a page reached by a forwarded link."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


_ANYTHING_LIKE_AN_ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")


def redact_addresses(text: str) -> str:
    """Text from elsewhere (a provider's error) made safe to log: anything shaped like an address is blanked."""
    return _ANYTHING_LIKE_AN_ADDRESS.sub("[address]", text)
