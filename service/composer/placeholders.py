"""The placeholders a subject may hold, checked on save so that a subject never goes out with braces in it.

The documented list:
- `{{ first_name }}`: the recipient's first name, or "there" when we do not know it;
  `{{ first_name | default("friend") }}` chooses another word for that case (one default per subject).
- `{{ heading }}`: the heading of the email's first section.

Anything else in double braces, or a brace left over, is an error for the person typing it.
"""

import re

# The per-recipient value the channel fills in (see service/outgoing/email.recipient_values).
FIRST_NAME = "-first_name-"
DEFAULT_FIRST_NAME = "there"
DOCUMENTED = ("{{ first_name }}", '{{ first_name | default("friend") }}', "{{ heading }}")

_FIRST_NAME = re.compile(
    r"""\{\{\s*first_name\s*(?:\|\s*default\(\s*(?P<q>["'])(?P<default>[^"'{}]*)(?P=q)\s*\)\s*)?\}\}"""
)
_HEADING = re.compile(r"\{\{\s*heading\s*\}\}")
_ANY_PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}")


class PlaceholderError(ValueError):
    """A subject with an unknown placeholder or a stray brace; the message is for the person typing it."""


def check_placeholders(subject: str) -> None:
    """Raise PlaceholderError unless every brace in `subject` belongs to a documented placeholder."""
    defaults = {(match.group("default") or "").strip() or DEFAULT_FIRST_NAME for match in _FIRST_NAME.finditer(subject)}
    if len(defaults) > 1:
        raise PlaceholderError("Use one default for {{ first_name }} in a subject.")
    rest = _HEADING.sub("", _FIRST_NAME.sub("", subject))
    unknown = _ANY_PLACEHOLDER.search(rest)
    if unknown:
        raise PlaceholderError(f"Unknown placeholder {{{{ {unknown.group(1)} }}}}: use {', '.join(DOCUMENTED)}.")
    if "{" in rest or "}" in rest:
        raise PlaceholderError("A brace is left over: placeholders are written {{ first_name }} or {{ heading }}.")


def first_name_default(subject: str) -> str:
    """The word a subject's {{ first_name }} becomes for a recipient whose first name we do not know."""
    match = _FIRST_NAME.search(subject)
    return (match.group("default").strip() if match and match.group("default") else "") or DEFAULT_FIRST_NAME


def fill_subject(subject: str, *, heading: str) -> str:
    """The subject as rendered once per email: {{ heading }} filled in, {{ first_name }} left to each recipient."""
    check_placeholders(subject)
    return _FIRST_NAME.sub(FIRST_NAME, _HEADING.sub(lambda _: heading, subject))


def first_name_value(first_name: str, default: str) -> str:
    """What {{ first_name }} becomes for one recipient: the name on one line, or the default."""
    return " ".join((first_name or "").split()) or default
