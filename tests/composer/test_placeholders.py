"""Subject placeholders: the documented ones are filled, anything else is refused before it is saved."""

import pytest

from service.composer.issues import IssueInput, SectionInput, validate_issue
from service.composer.placeholders import (
    FIRST_NAME,
    PlaceholderError,
    check_placeholders,
    fill_subject,
    first_name_default,
    first_name_value,
)


@pytest.mark.parametrize(
    "subject",
    ["Hello", "{{ first_name }}, news", "{{first_name}} and {{ heading }}", 'Hi {{ first_name | default("friend") }}'],
)
def test_documented_placeholders_are_accepted(subject):
    check_placeholders(subject)


@pytest.mark.parametrize(
    ("subject", "says"),
    [
        ("Hi {{ name }}", "Unknown placeholder {{ name }}"),
        ("Hi {{ first_name }", "brace"),
        ("Hi {first_name}", "brace"),
        ("50% off }", "brace"),
        ("{{ heading }} {{ unsubscribe_url }}", "Unknown placeholder"),
        ('{{ first_name | default("a") }} {{ first_name | default("b") }}', "one default"),
    ],
)
def test_an_unknown_placeholder_or_a_stray_brace_is_refused(subject, says):
    with pytest.raises(PlaceholderError, match=says):
        check_placeholders(subject)


def test_heading_is_filled_once_and_first_name_per_recipient():
    subject = fill_subject('{{ heading }} for {{ first_name | default("you") }}', heading="Aftercare")
    assert subject == f"Aftercare for {FIRST_NAME}"
    assert first_name_default('{{ first_name | default("you") }}') == "you"
    assert first_name_default("{{ first_name }}") == "there"
    assert first_name_value("  Ann \n Marie ", "you") == "Ann Marie", "a name never breaks the subject line"
    assert first_name_value("", "you") == "you"


def test_the_composer_refuses_an_unknown_placeholder_with_a_field_error():
    data = IssueInput(subject="Hi {{ firstname }}", sections=[SectionInput("Heading", "Text")])
    errors = validate_issue(data)
    assert set(errors) == {"subject"} and "Unknown placeholder {{ firstname }}" in errors["subject"]
