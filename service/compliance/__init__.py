"""Health-marketing compliance: the claims check and the elements every email must carry.

Pure Python (no Flask, no database). The rules are data in rules.yaml; check.py runs them on rendered text.
"""

from service.compliance.check import (
    ClinicIdentity,
    Finding,
    check_claims,
    check_links,
    check_required_elements,
    has_blocking,
    html_to_text,
)

__all__ = [
    "ClinicIdentity",
    "Finding",
    "check_claims",
    "check_links",
    "check_required_elements",
    "has_blocking",
    "html_to_text",
]
