"""Health-marketing compliance: the claims check, the claims library, and the elements every email must carry.

No Flask. The rules are data in rules.yaml and structures.yaml; check.py runs them on a normalised copy of rendered
text (normalise.py, structure.py) without a database. The claims library (library.py, models in
service/models/claims_library.py) and the review of a campaign (review.py) work on a database session.
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
