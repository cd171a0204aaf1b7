"""Claims hidden with invisible characters, soft hyphens, full-width or look-alike letters are still found,
highlighted in the original text; invisible characters inside words are findings of their own."""

import pytest

from service.compliance import check_claims, has_blocking
from service.compliance.normalise import normalise

ZERO_WIDTH_SPACE, SOFT_HYPHEN, ZERO_WIDTH_JOINER, WORD_JOINER = "\u200b", "\u00ad", "\u200d", "\u2060"
CYRILLIC_A, CYRILLIC_ES, GREEK_OMICRON = "\u0430", "\u0441", "\u03bf"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (f"Ketamine cu{ZERO_WIDTH_SPACE}res addiction.", "cure-or-permanent-results"),
        (f"Our infusions are 100% s{ZERO_WIDTH_SPACE}afe.", "absolute-safety"),
        (f"Ketamine cu{SOFT_HYPHEN}res depression.", "cure-or-permanent-results"),
        (f"Results guar{ZERO_WIDTH_JOINER}an{WORD_JOINER}teed.", "guaranteed-results"),
        (f"Ketamine {CYRILLIC_ES}ures addiction.", "cure-or-permanent-results"),
        (f"It is 100% s{CYRILLIC_A}fe.", "absolute-safety"),
        (f"Ketamine prevents suicide and n{GREEK_OMICRON} side effects.", "absolute-safety"),
        ("Ketamine ｃｕｒｅｓ addiction.", "cure-or-permanent-results"),
        ("Ketamine cu\u0301res addiction.", "cure-or-permanent-results"),
    ],
)
def test_hidden_claims_are_found(text, rule):
    findings = check_claims(text)
    assert rule in {finding.rule for finding in findings}
    assert has_blocking(findings)


def test_findings_point_at_the_original_text():
    text = f"Welcome!\nIt is 100% s{ZERO_WIDTH_SPACE}afe and c{CYRILLIC_A}n cure you."
    for finding in check_claims(text):
        assert text[finding.start : finding.end] == finding.text
    safety = next(f for f in check_claims(text) if f.rule == "absolute-safety")
    assert safety.text == f"100% s{ZERO_WIDTH_SPACE}afe"


def test_invisible_characters_inside_words_are_a_finding():
    findings = check_claims(f"Book a vi{ZERO_WIDTH_SPACE}sit today.")
    hidden = [finding for finding in findings if finding.rule == "invisible-characters"]
    assert [finding.text for finding in hidden] == [f"vi{ZERO_WIDTH_SPACE}sit"]
    assert hidden[0].severity == "block"


def test_look_alike_letters_inside_words_are_a_finding():
    findings = check_claims(f"Book a visit tod{CYRILLIC_A}y.")
    assert [(f.rule, f.text) for f in findings] == [("look-alike-letters", f"tod{CYRILLIC_A}y")]


def test_invisible_characters_between_words_or_emoji_are_not_a_finding():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert check_claims(f"Families welcome {family} at our open day.{ZERO_WIDTH_SPACE}") == []


def test_plain_text_is_left_alone():
    text = "Our clinic is open Monday to Friday."
    normalised = normalise(text)
    assert normalised.text == text and normalised.hidden == ()
    assert normalised.original_span(4, 10) == (4, 10)


def test_the_normalised_copy_maps_back_to_the_original():
    text = f"ﬁne cu{SOFT_HYPHEN}res"
    normalised = normalise(text)
    assert normalised.text == "fine cures"
    start = normalised.text.index("cures")
    assert normalised.original_span(start, start + 5) == (4, len(text))  # "ﬁ" is one character there
