"""The newsletter email as rendered once per message: inlined CSS, UTM-tagged own links, the required footer."""

import re

import pytest

from service.rendering.clinic import ClinicInfo
from service.rendering.email import UNSUBSCRIBE_URL, SubjectError, check_subject, render_email
from service.rendering.utm import add_utm, site_hosts, tag_html_links, tag_text_links

CLINIC = ClinicInfo(
    name="Daytryp Health",
    legal_name="Daytryp Health LLC",
    postal_address="7 Real Road, Scottsdale, AZ 85251",
    website_url="https://www.daytryp.example",
    privacy_url="https://www.daytryp.example/privacy",
    timezone="America/Phoenix",
    public_base_url="https://tidings.test",
)


def render(**overrides):
    values = {
        "subject": "Spring news",
        "heading": "After a session",
        "body": "First paragraph & more.\n\nSecond <b>paragraph</b>.",
        "clinic": CLINIC,
        "read_more_url": "https://daytryp.example/blog/after?ref=home",
        "campaign_slug": "spring-news",
    }
    return render_email(**{**values, **overrides})


def hrefs(html: str) -> list[str]:
    return [value.replace("&amp;", "&") for value in re.findall(r'href="([^"]*)"', html)]


def test_css_is_inlined_into_style_attributes():
    html = render().html

    assert "<style" not in html, "no rule is left in a <style> block (there are no media queries to keep)"
    assert re.search(r'<h1 style="[^"]*font-size: ?24px', html)
    assert re.search(r'<a class="button" href="[^"]*" style="[^"]*background: ?#1f6f78', html)
    assert html.lstrip().upper().startswith("<!DOCTYPE HTML")


def test_links_to_the_clinics_site_carry_utm_parameters_and_others_stay_as_written():
    email = render(body="See https://other.example/page?x=1 for more.")

    links = hrefs(email.html)
    assert (
        "https://daytryp.example/blog/after?ref=home&utm_source=newsletter&utm_medium=email&utm_campaign=spring-news"
        in links
    )
    assert (
        "https://www.daytryp.example/privacy?utm_source=newsletter&utm_medium=email&utm_campaign=spring-news" in links
    )
    assert UNSUBSCRIBE_URL in links, "the per-recipient unsubscribe placeholder is untouched"
    assert "https://other.example/page?x=1 for more." in email.text
    assert (
        "Read the whole article: https://daytryp.example/blog/after?ref=home&utm_source=newsletter&utm_medium=email"
        "&utm_campaign=spring-news\n" in email.text
    )
    assert "Privacy notice: https://www.daytryp.example/privacy?utm_source=newsletter" in email.text


def test_without_a_campaign_slug_no_link_is_tagged():
    assert "utm_" not in render(campaign_slug="").html


def test_the_footer_has_every_required_element_in_both_parts():
    email = render()

    for part in (email.html, email.text):
        assert "Daytryp Health LLC" in part
        assert "7 Real Road, Scottsdale, AZ 85251" in part
        assert UNSUBSCRIBE_URL in part
        assert "not medical advice" in part
        assert "You are receiving this email because you subscribed to Daytryp Health" in part
    assert re.search(rf'<a href="{UNSUBSCRIBE_URL}"[^>]*>Unsubscribe</a>', email.html)


def test_snippet_text_is_escaped_in_html_and_plain_in_text():
    email = render()

    assert "Second &lt;b&gt;paragraph&lt;/b&gt;." in email.html
    assert "First paragraph &amp; more." in email.html
    assert "Second <b>paragraph</b>." in email.text


@pytest.mark.parametrize("subject", ["Two\nlines", "Two\r\nBcc: x@example.org", "Sep\u2028arated", "Nul\x00", "  "])
def test_subjects_that_could_break_the_headers_are_refused(subject):
    with pytest.raises(SubjectError):
        check_subject(subject)
    with pytest.raises(SubjectError):
        render(subject=subject)


def test_utm_keeps_existing_parameters_and_fragments_and_only_tags_the_clinics_hosts():
    own = site_hosts("https://www.daytryp.example")

    tagged = add_utm("https://DAYTRYP.example/a?utm_campaign=mine&b=%20x#top", **_email(own))
    assert tagged == "https://DAYTRYP.example/a?utm_campaign=mine&b=%20x&utm_source=newsletter&utm_medium=email#top"
    assert add_utm("https://evil-daytryp.example/a", **_email(own)) == "https://evil-daytryp.example/a"
    assert add_utm("https://daytryp.example.evil.test/a", **_email(own)) == "https://daytryp.example.evil.test/a"
    assert add_utm("mailto:hello@daytryp.example", **_email(own)) == "mailto:hello@daytryp.example"


def test_tagging_html_reescapes_attribute_values_and_text_leaves_trailing_punctuation():
    html = (
        '<a href="https://daytryp.example/x?a=1&amp;b=2">x</a> <a href="https://elsewhere.example/?a=1&amp;b=2">y</a>'
    )
    assert tag_html_links(html, campaign="c", website_url="https://daytryp.example") == (
        '<a href="https://daytryp.example/x?a=1&amp;b=2&amp;utm_source=newsletter&amp;utm_medium=email&amp;'
        'utm_campaign=c">x</a> <a href="https://elsewhere.example/?a=1&amp;b=2">y</a>'
    )
    assert tag_text_links("Go to https://daytryp.example/x.", campaign="c", website_url="https://daytryp.example") == (
        "Go to https://daytryp.example/x?utm_source=newsletter&utm_medium=email&utm_campaign=c."
    )


def _email(own_hosts) -> dict:
    return {"source": "newsletter", "medium": "email", "campaign": "spring-news", "own_hosts": own_hosts}
