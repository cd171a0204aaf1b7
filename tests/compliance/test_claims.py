"""The claims check: rules file schema, per-rule examples, the clinic's article, offsets, HTML and links."""

import copy
import dataclasses
import re

import pytest
import yaml

from service.compliance import Finding, check_claims, check_links, has_blocking, html_to_text
from service.compliance.check import sentence_spans
from service.compliance.rules import (
    CONTEXTS,
    RULES_PATH,
    SEVERITIES,
    RuleFileError,
    default_rules,
    parse_rule_set,
)

# --- the rules file --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def raw_rules() -> dict:
    return yaml.safe_load(RULES_PATH.read_text(encoding="utf-8"))


def test_every_rule_has_the_required_fields(raw_rules):
    for rule in raw_rules["rules"]:
        assert {"id", "patterns", "severity", "why", "suggestion"} <= rule.keys(), rule.get("id")
        assert rule["severity"] in SEVERITIES
        assert rule["patterns"] and all(isinstance(pattern, str) for pattern in rule["patterns"])
        assert rule["why"].strip() and rule["suggestion"].strip()
        assert set(rule.get("contexts", CONTEXTS)) <= set(CONTEXTS)


def test_rule_ids_are_unique(raw_rules):
    ids = [rule["id"] for rule in raw_rules["rules"]]
    assert len(ids) == len(set(ids))


def test_every_pattern_compiles(raw_rules):
    rule_set = parse_rule_set(raw_rules)
    assert len(rule_set.rules) == len(raw_rules["rules"])
    for rule in rule_set.rules:
        for pattern in (*rule.patterns, *rule.requires, *rule.unless, *rule.unless_in_text):
            assert isinstance(pattern, re.Pattern)


def test_default_rules_are_loaded_once_and_frozen():
    assert default_rules() is default_rules()
    with pytest.raises(dataclasses.FrozenInstanceError):
        default_rules().rules[0].severity = "warn"


def _broken(raw: dict, edit) -> dict:
    broken = copy.deepcopy(raw)
    edit(broken)
    return broken


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda data: data["rules"][0].pop("why"), "missing why"),
        (lambda data: data["rules"][0].pop("patterns"), "missing patterns"),
        (lambda data: data["rules"][0].update(severity="maybe"), "severity must be one of"),
        (lambda data: data["rules"][0].update(patterns=["(unclosed"]), "does not compile"),
        (lambda data: data["rules"][0].update(patterns=["x*"]), "matches the empty string"),
        (lambda data: data["rules"][0].update(patterns=["{{nonesuch}}"]), "unknown term"),
        (lambda data: data["rules"][0].update(unles=["typo"]), "unknown field unles"),
        (lambda data: data["rules"][0].update(contexts=["email"]), "contexts must be"),
        (lambda data: data["rules"][1].update(id=data["rules"][0]["id"]), "is used twice"),
        (lambda data: data["required_elements"][0].update(check="telepathy"), "check must be one of"),
        (lambda data: data.update(rules=[]), "non-empty list"),
    ],
)
def test_a_malformed_rules_file_is_rejected(raw_rules, edit, message):
    with pytest.raises(RuleFileError, match=message):
        parse_rule_set(_broken(raw_rules, edit))


# --- each rule, flagged and passed -----------------------------------------------------------------------

# (rule id, text that must be flagged by it, text that must not be, context)
RULE_EXAMPLES = [
    ("cure-or-permanent-results", "Our infusions cure addiction.", "Ketamine is not a cure for addiction.", "body"),
    ("cure-or-permanent-results", "Get permanent relief from cravings.", "Relief from cravings varies.", "body"),
    ("cure-or-permanent-results", "Beat addiction with ketamine!", "Recovery takes time and support.", "post"),
    ("cure-or-permanent-results", "Ketamine cured my cravings.", "Skip cured meats before a session.", "body"),
    ("guaranteed-results", "Relief guaranteed or your money back.", "Results are not guaranteed.", "body"),
    ("success-rate-uncited", "85% of our patients feel better.", "85% of patients improved (Lee 2021).", "body"),
    ("success-rate-uncited", "Nine out of ten clients stay sober.", "Source: trial data [2].", "body"),
    ("absolute-safety", "Ketamine has no side effects.", "Common side effects include nausea.", "body"),
    ("absolute-safety", "A 100% safe, risk-free treatment.", "No treatment is risk-free.", "body"),
    ("absolute-safety", "Ketamine is non-addictive.", "Ketamine can be misused and is habit-forming.", "body"),
    ("safety-minimised", "It is generally well-tolerated.", "Staff monitor your blood pressure.", "body"),
    (
        "fda-approval-misstated",
        "Ketamine is FDA-approved for depression.",
        "Ketamine is FDA-approved as an anesthetic.",
        "body",
    ),
    (
        "fda-approval-misstated",
        "Try our FDA-approved ketamine therapy.",
        "Spravato is FDA-approved for treatment-resistant depression.",
        "body",
    ),
    ("research-overclaim", "Every study agrees ketamine works.", "Several small studies have looked at this.", "body"),
    ("research-overclaim", "A clinically proven treatment.", "A treatment under clinical study.", "body"),
    ("research-uncited", "Studies show ketamine reduces cravings.", "Studies show mixed results [3].", "body"),
    ("superiority-claim", "Ketamine is more effective than SSRIs.", "Ketamine is one of several options.", "body"),
    ("superiority-claim", "It works faster than antidepressants.", "Antidepressants help many people.", "body"),
    (
        "discourages-other-care",
        "You can stop taking your antidepressants.",
        "Don't stop your medication without talking to your doctor.",
        "body",
    ),
    ("discourages-other-care", "Skip rehab and book an infusion.", "Keep going to your meetings.", "body"),
    ("speed-claim", "Feel relief within minutes.", "Plan to rest for two hours after your visit.", "body"),
    ("speed-claim", "Symptoms lift after one infusion.", "Most plans involve several infusions.", "body"),
    ("promising-benefit", "Promising results for alcohol use.", "Research is at an early stage.", "body"),
    ("efficacy-claim", "Ketamine is highly effective for PTSD.", "Ketamine is being studied for PTSD.", "body"),
    ("lasting-results", "Enjoy long-lasting relief.", "Long-term benefits are unknown.", "body"),
    ("prevents-suicide", "Ketamine prevents suicide.", "Call or text 988 (Suicide & Crisis Lifeline).", "body"),
    ("at-home-or-oral-ketamine", "Order at-home ketamine today.", "We do not offer oral ketamine.", "body"),
    (
        "at-home-or-oral-ketamine",
        "Ketamine lozenges delivered to your door.",
        "Infusions are given in our clinic.",
        "post",
    ),
    ("recreational-language", "No K-hole, just healing.", "Some people feel detached during the infusion.", "post"),
    ("recreational-language", "Get high safely.", "Blood pressure can run high during a session.", "body"),
    (
        "recreational-trip",
        "Your ketamine trip starts here.",
        "Plan your trip to Scottsdale; the triple-strip lot is free.",
        "body",
    ),
    ("unsafe-suicide-wording", "Her brother committed suicide.", "Her brother died by suicide.", "body"),
    (
        "off-label-condition-list",
        "We treat depression, anxiety, PTSD and OCD.",
        "Ketamine is used off-label for depression, anxiety and PTSD.",
        "body",
    ),
    (
        "testimonial-without-disclosure",
        "\u201cKetamine changed my life.\u201d - Sam",
        "Individual results vary. \u201cKetamine changed my life.\u201d",
        "post",
    ),
    ("second-person-diagnosis", "New hope for your addiction", "New research on ketamine and addiction", "subject"),
    (
        "second-person-diagnosis",
        "Still struggling with depression?",
        "What researchers are learning about depression",
        "subject",
    ),
    (
        "personal-data-in-url",
        "Read more: https://daytryp.example/news?email=ann@example.com",
        "Read more: https://daytryp.example/news?token=Zx81",
        "body",
    ),
]


def _rules_found(text: str, context: str = "body") -> set[str]:
    return {finding.rule for finding in check_claims(text, context=context)}


def test_every_rule_has_an_example():
    assert {rule.id for rule in default_rules().rules} == {example[0] for example in RULE_EXAMPLES}


@pytest.mark.parametrize(("rule", "flagged", "passed", "context"), RULE_EXAMPLES)
def test_rule_flags_its_example_and_passes_the_rewrite(rule, flagged, passed, context):
    assert rule in _rules_found(flagged, context)
    assert rule not in _rules_found(passed, context)


def test_second_person_diagnosis_applies_only_to_subjects():
    assert "second-person-diagnosis" in _rules_found("Is your addiction getting worse?", "subject")
    assert "second-person-diagnosis" not in _rules_found("Is your addiction getting worse?", "body")


def test_testimonial_disclosure_counts_anywhere_in_the_text():
    story = "After my third infusion, I finally feel like myself again."
    assert "testimonial-without-disclosure" in _rules_found(story)
    assert "testimonial-without-disclosure" not in _rules_found(f"{story}\n\nIndividual results vary.")


def test_recreational_rules_ignore_trip_inside_words():
    text = "A triple check of ketamine doses, a test strip and a tripod in the infusion room."
    assert not _rules_found(text) & {"recreational-language", "recreational-trip"}


def test_fda_rule_allows_esketamine_but_not_ketamine():
    assert not has_blocking(check_claims("Esketamine (Spravato) is FDA-approved for treatment-resistant depression."))
    assert has_blocking(check_claims("Ketamine is FDA-approved for depression."))
    assert has_blocking(check_claims("The FDA has approved ketamine to treat PTSD."))


@pytest.mark.parametrize(
    "hedged",
    [
        "Researchers are studying whether ketamine may help with cravings; ask your provider.",
        "Common side effects include dizziness and nausea.",
        "Esketamine (Spravato) is FDA-approved for treatment-resistant depression.",
        "Ketamine is FDA-approved as an anesthetic; its use for substance use is off-label.",
        "Ask your provider whether ketamine-assisted therapy could fit alongside your current care.",
        "Possible side effects include dissociation, nausea, dizziness and raised blood pressure.",
        "Results are not guaranteed, and individual results vary.",
        "Keep taking your current medications unless your prescriber tells you otherwise.",
        "Ketamine is not a cure, and no treatment is risk-free.",
        "If you are in crisis or thinking about suicide, call or text 988 (Suicide & Crisis Lifeline).",
    ],
)
def test_hedged_accurate_language_is_not_blocked(hedged):
    assert not has_blocking(check_claims(hedged))


def test_the_standard_footer_does_not_block_itself():
    footer = (
        "You are receiving this email because you subscribed to Daytryp Health updates.\n"
        "Unsubscribe | Privacy notice\n"
        "Ketamine is FDA-approved as an anesthetic; its use for depression, substance use and other "
        "mental-health conditions is off-label.\n"
        "Possible side effects include dissociation, nausea, dizziness and raised blood pressure.\n"
        "Individual results vary.\n"
        "This email is for information only and is not medical advice.\n"
        "If you are in crisis or thinking about suicide, call or text 988 (Suicide & Crisis Lifeline)."
    )
    assert check_claims(footer) == []


def test_matches_do_not_cross_sentences():
    assert "superiority-claim" not in _rules_found("Ketamine is more effective. Than what? Ask us.")
    assert "fda-approval-misstated" in _rules_found("Spravato is different.\nKetamine is FDA-approved for PTSD.")


def test_unknown_context_is_an_error():
    with pytest.raises(ValueError, match="context"):
        check_claims("text", context="email")


# --- the clinic's published article (read from shared/ when the workspace has it) -------------------------


def _sentence_around(text: str, needle: str) -> tuple[int, int]:
    """The span of the sentence holding `needle`, found with our own splitter."""
    position = text.index(needle)
    return next((start, end) for start, end in sentence_spans(text) if start <= position < end)


def _findings_in(findings: list[Finding], span: tuple[int, int]) -> list[Finding]:
    start, end = span
    return [finding for finding in findings if finding.start < end and finding.end > start]


@pytest.fixture(scope="module")
def clinic_findings(clinic_article_text) -> list[Finding]:
    return check_claims(clinic_article_text)


def test_clinic_article_all_studies_sentence_is_blocked(clinic_article_text, clinic_findings):
    found = _findings_in(clinic_findings, _sentence_around(clinic_article_text, "all studies have shown"))
    assert has_blocking(found)


@pytest.mark.parametrize("needle", ["anticonvulsant", "painkillers", "than morphine"])
def test_clinic_article_superiority_sentences_are_blocked(clinic_article_text, clinic_findings, needle):
    found = _findings_in(clinic_findings, _sentence_around(clinic_article_text, needle))
    assert "superiority-claim" in {finding.rule for finding in found}
    assert has_blocking(found)


@pytest.mark.parametrize("needle", ["well-tolerated", "considered safe"])
def test_clinic_article_safety_sentences_are_flagged(clinic_article_text, clinic_findings, needle):
    assert _findings_in(clinic_findings, _sentence_around(clinic_article_text, needle))


def _heading_spans(text: str) -> list[tuple[int, int]]:
    """Lines that read as headings: a few words with no full stop or exclamation mark at the end."""
    spans, offset = [], 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped and len(stripped.split()) <= 10 and not stripped.endswith((".", "!")):
            spans.append((offset, offset + len(line.rstrip())))
        offset += len(line)
    return spans


def test_clinic_article_headings_have_no_findings(clinic_article_text, clinic_findings):
    headings = _heading_spans(clinic_article_text)
    assert len(headings) >= 10  # the article's section titles, questions included
    for heading in headings:
        assert _findings_in(clinic_findings, heading) == [], clinic_article_text[heading[0] : heading[1]]


@pytest.mark.parametrize(
    "needle",
    [
        "Glutamate is a neurotransmitter",
        "Dopamine is a neurotransmitter",
        "Serotonin is a neurotransmitter",
        "important for long-term potentiation",
        "yoga or meditation",
        "intrusive thoughts",
        "life-threatening condition",
    ],
)
def test_clinic_article_neutral_sentences_have_no_findings(clinic_article_text, clinic_findings, needle):
    assert _findings_in(clinic_findings, _sentence_around(clinic_article_text, needle)) == []


# --- offsets and output shape ----------------------------------------------------------------------------


def test_offsets_point_at_the_flagged_text(clinic_article_text, clinic_findings):
    samples = [
        (clinic_article_text, clinic_findings),
        (
            text := "Don\u2019t wait.\n\u201cIt\u2019s 100% safe\u201d \u2014 and FDA\u2011approved for PTSD!",
            check_claims(text),
        ),
    ]
    for source, findings in samples:
        assert findings
        for finding in findings:
            assert finding.text == source[finding.start : finding.end]
            assert finding.end > finding.start


def test_findings_are_sorted_by_start(clinic_findings):
    assert [finding.start for finding in clinic_findings] == sorted(finding.start for finding in clinic_findings)


def test_finding_to_dict_has_the_api_keys():
    finding = check_claims("Guaranteed results.")[0]
    assert finding.to_dict() == {
        "rule": "guaranteed-results",
        "severity": "block",
        "start": 0,
        "end": 10,
        "text": "Guaranteed",
        "why": finding.why,
        "suggestion": finding.suggestion,
    }


def test_overlapping_matches_of_one_rule_make_one_finding():
    findings = [f for f in check_claims("It is 100% safe and risk-free.") if f.rule == "absolute-safety"]
    assert [finding.text for finding in findings] == ["100% safe", "risk-free"]


def test_sentence_splitting_keeps_abbreviations_and_citations_together():
    text = "Up to 70% of patients improved (Lee et al. 2021). Dr. Ray agrees."
    assert [text[start:end] for start, end in sentence_spans(text)] == [
        "Up to 70% of patients improved (Lee et al. 2021).",
        "Dr. Ray agrees.",
    ]
    assert "success-rate-uncited" not in _rules_found(text)


# --- HTML and links --------------------------------------------------------------------------------------


def test_html_to_text_gives_one_line_per_block_and_drops_what_readers_cannot_see():
    html = """<html><head><title>Hidden title</title><style>p {color: red}</style></head>
    <body><!-- a comment --><h1>Ketamine   news</h1>
    <p>First&nbsp;paragraph with <b>bold</b>
    text.<br>After a break.</p><script>var x = 1;</script>
    <ul><li>One</li><li>Two</li></ul><img src="x.png" alt="Clinic logo"></body></html>"""
    assert html_to_text(html) == "Ketamine news\nFirst paragraph with bold text.\nAfter a break.\nOne\nTwo\nClinic logo"


def test_claims_split_by_inline_markup_are_still_found():
    text = html_to_text("<p>Ketamine is <strong>100%</strong> <em>safe</em>.</p>")
    assert "absolute-safety" in _rules_found(text)


def test_check_links_flags_personal_data_in_hrefs_with_offsets_into_the_html():
    html = (
        '<a href="https://daytryp.example/u?token=abc">ok</a> '
        '<a href="https://daytryp.example/news?utm_source=x&amp;email=ann%40example.com">leak</a>'
    )
    findings = check_links(html)
    assert [finding.rule for finding in findings] == ["personal-data-in-url"]
    assert html[findings[0].start : findings[0].end] == findings[0].text
    assert findings[0].text.startswith("https://daytryp.example/news?")


@pytest.mark.parametrize(
    "url",
    [
        "https://daytryp.example/r?name=Ann",
        "https://daytryp.example/r?a=1&phone=6025550100",
        "https://daytryp.example/r?u=ann%40example.com",
    ],
)
def test_personal_data_in_query_strings_is_blocked(url):
    assert has_blocking(check_claims(url, context="link"))


def test_ordinary_tracking_parameters_are_not_personal_data():
    assert check_claims("https://daytryp.example/r?utm_campaign=may&utm_name=news&token=Zx", context="link") == []
