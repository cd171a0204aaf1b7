"""Composed emails through MJML: responsive HTML with no MJML left, the required footer in every layout, and a
plain-text part made from the same sections."""

import pytest

from service.rendering.clinic import ClinicInfo
from service.rendering.email import UNSUBSCRIBE_URL
from service.rendering.mjml_email import (
    GMAIL_CLIP_BYTES,
    Image,
    IssueContent,
    SectionContent,
    clipped_by_gmail,
    render_issue,
)

CLINIC = ClinicInfo(
    name="Daytryp",
    legal_name="Daytryp Health LLC",
    postal_address="7 Real Road, Scottsdale, AZ 85251",
    website_url="https://daytryp.com",
    privacy_url="https://daytryp.com/privacy",
    timezone="America/Phoenix",
    public_base_url="https://tidings.test",
)
SECTIONS = (
    SectionContent("What to expect", "Your first visit takes **two hours**.\n\n- Arrive early\n- Bring a friend",
                   Image("https://tidings.test/media/a.png", "A quiet treatment room")),
    SectionContent("Aftercare & <rest>", "Plan a calm evening. Read [our guide](https://daytryp.com/aftercare)."),
    SectionContent("Parking", "Free parking behind the building."),
)  # fmt: skip


def issue(layout: str, **overrides) -> IssueContent:
    values = {
        "subject": "Your visit",
        "sections": SECTIONS,
        "layout": layout,
        "preheader": "Three things before you come",
        "intro": "A few notes.",
        "cta_label": "Book a consultation",
        "cta_url": "https://daytryp.com/book",
        "sign_off": "See you soon,\n\nThe Daytryp team",
        "hero": Image("https://tidings.test/media/hero.png", "The clinic's front door"),
        "read_more_url": "https://daytryp.com/visit",
        **overrides,
    }
    return IssueContent(**values)


@pytest.mark.parametrize("layout", ["letter", "digest"])
def test_no_mjml_is_left_and_the_footer_is_in_every_layout(layout):
    email = render_issue(issue(layout), clinic=CLINIC, campaign_slug="visit")
    assert "<mj-" not in email.html and "</mj-" not in email.html
    for part in (email.html, email.text):
        assert "Important safety information" in part
        assert "988" in part
        assert "Daytryp Health LLC" in part and "7 Real Road, Scottsdale, AZ 85251" in part
        assert "because you subscribed to Daytryp" in part
        assert UNSUBSCRIBE_URL in part
    assert 'alt="The clinic&#39;s front door"' in email.html or 'alt="The clinic\'s front door"' in email.html
    assert "Three things before you come" in email.html, "the preheader"
    assert "Book a consultation" in email.html and "Book a consultation" in email.text


def test_the_footer_cannot_be_left_out_by_content():
    email = render_issue(issue("letter", sections=(), intro="", sign_off="", hero=None), clinic=CLINIC)
    assert "Important safety information" in email.html and UNSUBSCRIBE_URL in email.html


def test_the_letter_plain_text_matches_the_sections():
    email = render_issue(issue("letter"), clinic=CLINIC)
    text = email.text
    positions = [text.index(section.heading) for section in SECTIONS]
    assert positions == sorted(positions), "in the composed order"
    assert "Your first visit takes two hours." in text and "- Arrive early\n- Bring a friend" in text
    assert "Read our guide (https://daytryp.com/aftercare)." in text
    assert "[Image: A quiet treatment room]" in text
    assert "**" not in text and "<" not in text.split("--\n")[0].replace("<rest>", "")


def test_the_digest_is_a_card_per_section_with_a_teaser_and_read_more():
    email = render_issue(issue("digest"), clinic=CLINIC)
    assert email.html.count(">Read more<") == len(SECTIONS)
    assert "Free parking behind the building." in email.html
    assert email.text.count("Read more: https://daytryp.com/visit") == len(SECTIONS)


def test_section_text_is_escaped_and_links_of_the_clinic_get_utm_only():
    email = render_issue(
        issue("letter", sections=(SectionContent("A <b>bold</b> claim", "[elsewhere](https://example.org/x)"),)),
        clinic=CLINIC,
        campaign_slug="visit",
    )
    assert "A &lt;b&gt;bold&lt;/b&gt; claim" in email.html
    assert 'href="https://example.org/x"' in email.html, "other sites' links are left as written"
    assert "https://daytryp.com/book?utm_source=newsletter" in email.html


def test_an_email_over_102_kb_is_flagged_as_clipped_by_gmail():
    small = render_issue(issue("letter"), clinic=CLINIC)
    assert not clipped_by_gmail(small.html)
    long_body = "Calm words for the evening after your session. " * 60
    many = tuple(SectionContent(f"Part {n}", long_body) for n in range(40))
    big = render_issue(issue("letter", sections=many), clinic=CLINIC)
    assert len(big.html.encode()) > GMAIL_CLIP_BYTES and clipped_by_gmail(big.html)
