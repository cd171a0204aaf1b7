"""The elements every rendered email must carry, proved present after rendering."""

import pytest

from service.compliance import ClinicIdentity, check_claims, check_required_elements, has_blocking, html_to_text
from service.compliance.rules import default_rules

PLACEHOLDER_ADDRESS = "123 Example Street, Phoenix, AZ 85001"
ONE_CLICK_URL = "https://daytryp.example/u/one-click?token=Zx81"

# The footer phrases rules.yaml accepts, in the shape the footer template renders them.
LINES = {
    "legal-name": "Daytryp Health LLC",
    "postal-address": "7000 E Camelback Rd, Suite 200<br>Scottsdale, AZ 85251",
    "reason": "You are receiving this email because you subscribed to Daytryp Health updates.",
    "links": '<a href="https://daytryp.example/u?token=Zx81">Unsubscribe</a> | '
    '<a href="https://daytryp.example/privacy">Privacy notice</a>',
    "fda-status": "Ketamine is FDA-approved as an anesthetic; its use for depression, substance use and other "
    "mental-health conditions is off-label.",
    "risk-summary": "Possible side effects include dissociation, nausea, dizziness and raised blood pressure.",
    "results-vary": "Individual results vary.",
    "not-medical-advice": "This email is for information only and is not medical advice.",
    "crisis-line": "If you are in crisis or thinking about suicide, call or text 988 (Suicide &amp; Crisis Lifeline).",
}


@pytest.fixture
def clinic() -> ClinicIdentity:
    return ClinicIdentity(
        legal_name="Daytryp Health LLC",
        postal_address="7000 E Camelback Rd, Suite 200, Scottsdale, AZ 85251",
        placeholder_address=PLACEHOLDER_ADDRESS,
    )


def _email_html(lines: dict[str, str], body: str = "What researchers are learning about ketamine.") -> str:
    footer = "".join(f"<p>{line}</p>" for line in lines.values())
    return f"<html><body><h1>Daytryp news</h1><p>{body}</p><footer>{footer}</footer></body></html>"


def _check(html: str, clinic: ClinicIdentity, *, list_unsubscribe_url: str | None = ONE_CLICK_URL):
    return check_required_elements(
        html_to_text(html), html=html, clinic=clinic, list_unsubscribe_url=list_unsubscribe_url
    )


def _rules(findings) -> list[str]:
    return [finding.rule for finding in findings]


def test_a_complete_footer_passes(clinic):
    assert _check(_email_html(LINES), clinic) == []


def test_the_complete_email_passes_the_claims_check_too(clinic):
    assert not has_blocking(check_claims(html_to_text(_email_html(LINES))))


def test_every_element_id_has_a_finding_rule():
    ids = {element.id for element in default_rules().required_elements}
    assert ids == {
        "legal-name", "postal-address", "reason", "unsubscribe-link", "privacy-link", "list-unsubscribe",
        "fda-status", "risk-summary", "results-vary", "not-medical-advice", "crisis-line",
    }  # fmt: skip


@pytest.mark.parametrize(
    "dropped", ["legal-name", "postal-address", "reason", "fda-status", "risk-summary", "results-vary",
                "not-medical-advice", "crisis-line"],
)  # fmt: skip
def test_each_missing_text_element_is_reported(clinic, dropped):
    lines = {key: line for key, line in LINES.items() if key != dropped}
    # Without the FDA line the email must still mention depression, or the 988 line is not required.
    findings = _check(_email_html(lines, body="Ketamine and depression: what research says."), clinic)
    assert _rules(findings) == [f"required-{dropped}"]
    finding = findings[0]
    assert (finding.severity, finding.start, finding.end, finding.text) == ("block", 0, 0, "")
    assert finding.why and finding.suggestion


@pytest.mark.parametrize(
    ("links", "missing"),
    [
        ('<a href="https://daytryp.example/privacy">Privacy notice</a>', "required-unsubscribe-link"),
        ('<a href="https://daytryp.example/u?token=Zx81">Unsubscribe</a>', "required-privacy-link"),
        ('<a href="#">Unsubscribe</a> <a href="https://daytryp.example/privacy">Privacy notice</a>',
         "required-unsubscribe-link"),
        ("Unsubscribe | Privacy notice", None),  # text without links: both missing
    ],
)  # fmt: skip
def test_each_missing_link_is_reported(clinic, links, missing):
    findings = _check(_email_html({**LINES, "links": links}), clinic)
    expected = [missing] if missing else ["required-unsubscribe-link", "required-privacy-link"]
    assert _rules(findings) == expected


def test_links_are_recognised_by_their_url_or_a_provider_placeholder(clinic):
    links = (
        '<a href="{{unsubscribe_url}}">Stop these emails</a> <a href="https://daytryp.example/privacy">Our notice</a>'
    )
    assert _check(_email_html({**LINES, "links": links}), clinic) == []


def test_plain_text_email_needs_the_links_written_out(clinic):
    text = html_to_text(_email_html({**LINES, "links": "Unsubscribe | Privacy notice"}))
    with_urls = text.replace(
        "Unsubscribe | Privacy notice",
        "Unsubscribe: https://daytryp.example/u?token=Zx81\nPrivacy notice: https://daytryp.example/privacy",
    )
    check = dict(html=None, clinic=clinic, list_unsubscribe_url=ONE_CLICK_URL)
    assert _rules(check_required_elements(text, **check)) == ["required-unsubscribe-link", "required-privacy-link"]
    assert check_required_elements(with_urls, **check) == []


@pytest.mark.parametrize(
    ("url", "problem"),
    [(None, "no List-Unsubscribe"), ("", "no List-Unsubscribe"), ("http://daytryp.example/u", "not HTTPS")],
)
def test_list_unsubscribe_url_must_be_https(clinic, url, problem):
    findings = _check(_email_html(LINES), clinic, list_unsubscribe_url=url)
    assert _rules(findings) == ["required-list-unsubscribe"]
    assert problem in findings[0].why


def test_the_sample_address_blocks_even_when_rendered(clinic):
    sample = ClinicIdentity(clinic.legal_name, PLACEHOLDER_ADDRESS.upper(), PLACEHOLDER_ADDRESS)
    findings = _check(_email_html({**LINES, "postal-address": PLACEHOLDER_ADDRESS}), sample)
    assert _rules(findings) == ["required-postal-address"]
    assert has_blocking(findings)
    assert ".env.example" in findings[0].why


@pytest.mark.parametrize(("address", "problem"), [("", "No postal address"), ("Scottsdale, Arizona", "no ZIP code")])
def test_an_address_that_cannot_be_a_postal_address_is_reported(clinic, address, problem):
    findings = _check(_email_html({**LINES, "postal-address": address}), ClinicIdentity(clinic.legal_name, address, ""))
    assert _rules(findings) == ["required-postal-address"]
    assert problem in findings[0].why


def test_address_and_name_match_across_line_breaks_and_punctuation(clinic):
    rendered = {
        **LINES,
        "legal-name": "DAYTRYP HEALTH, LLC",
        "postal-address": "7000 E. Camelback Rd.<br>Suite 200<br>Scottsdale AZ 85251",
    }
    assert _check(_email_html(rendered), clinic) == []


def test_an_unconfigured_legal_name_is_reported(clinic):
    nameless = ClinicIdentity(" ", clinic.postal_address, PLACEHOLDER_ADDRESS)
    findings = _check(_email_html(LINES), nameless)
    assert _rules(findings) == ["required-legal-name"]
    assert "not configured" in findings[0].why


@pytest.mark.parametrize(
    "topic",
    ["Ketamine and depression", "Talking about suicide", "Recovery after self-harm", "Finding help in a crisis"],
)
def test_988_line_is_required_when_the_text_mentions_its_topics(clinic, topic):
    lines = {key: line for key, line in LINES.items() if key not in ("fda-status", "crisis-line")}
    assert "required-crisis-line" in _rules(_check(_email_html(lines, body=topic), clinic))


def test_988_line_is_not_required_otherwise(clinic):
    lines = {key: line for key, line in LINES.items() if key not in ("fda-status", "crisis-line")}
    findings = _check(_email_html(lines, body="Our new clinic hours in Scottsdale."), clinic)
    assert _rules(findings) == ["required-fda-status"]
