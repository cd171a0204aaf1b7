"""Whether the clinic's settings allow real email to go out: the check the review shows and the worker enforces.

With the outbox channel (development) nothing reaches a reader, so the sample postal address is only a notice;
with a real provider it blocks, at review and again at send time (settings can change after approval).
"""

import re
from collections.abc import Mapping

from service.settings import PLACEHOLDER_POSTAL_ADDRESS


def strict_setup(config: Mapping) -> bool:
    """True when email reaches real readers, so setup problems (sample address, no HTTPS) block."""
    return config["EMAIL_CHANNEL"] != "outbox"


def address_words(text: str) -> str:
    # As the required-elements check compares addresses: words only, case and punctuation ignored.
    return " ".join(re.findall(r"\w+", text.casefold()))


def uses_placeholder_address(config: Mapping) -> bool:
    return address_words(config["CLINIC_POSTAL_ADDRESS"] or "") == address_words(PLACEHOLDER_POSTAL_ADDRESS)


def send_time_problem(config: Mapping) -> str | None:
    """Why an email must not be sent with these settings, or None; the worker fails such a message."""
    if not strict_setup(config):
        return None
    if not address_words(config["CLINIC_POSTAL_ADDRESS"] or "") or uses_placeholder_address(config):
        return "Not sent: CLINIC_POSTAL_ADDRESS is empty or still the sample address; set the clinic's real address."
    return None
