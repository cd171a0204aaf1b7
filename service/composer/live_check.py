"""The claims check on a draft as it is typed: every field the marketer writes, checked on its own.

The review page checks the rendered email; this checks the same words field by field, so the editor can mark the
finding in the field where it was typed. Subject and preheader are read as a subject (an inbox shows them
together); everything else (intro, section headings and text, button label, sign-off, image descriptions) as body.
"""

from collections.abc import Mapping

from service.compliance.check import Finding, check_claims

SUBJECT_LIKE = ("subject", "preheader")
MAX_FIELDS = 200
MAX_FIELD_CHARACTERS = 20_000


class DraftCheckError(ValueError):
    """The request is not a draft this check can read; the message says why."""


def check_draft(fields: Mapping[str, str]) -> dict[str, list[Finding]]:
    """Findings per field name ("subject", "sections.0.body", "sections.0.alt", ...); fields with none included."""
    if len(fields) > MAX_FIELDS:
        raise DraftCheckError(f"At most {MAX_FIELDS} fields at once.")
    results = {}
    for name, text in fields.items():
        if not isinstance(name, str) or not isinstance(text, str):
            raise DraftCheckError("Field names and values must be strings.")
        if len(text) > MAX_FIELD_CHARACTERS:
            raise DraftCheckError(f"{name} is longer than {MAX_FIELD_CHARACTERS} characters.")
        context = "subject" if name.split(".")[-1] in SUBJECT_LIKE else "body"
        results[name] = check_claims(text, context=context, written=text) if text.strip() else []
    return results
