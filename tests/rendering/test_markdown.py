"""Sections' Markdown: the HTML it becomes passes the allowlist, whatever is typed; the plain text reads well."""

import pytest
from bs4 import BeautifulSoup

from service.rendering.markdown import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    markdown_to_html,
    markdown_to_text,
    sanitise_html,
)

DANGEROUS = [
    ("<script>alert(1)</script>", "<script"),
    ("<style>p{color:red}</style>", "<style"),
    ('<p onclick="steal()">x</p>', "onclick"),
    ('<img src="x" onerror="steal()">', "onerror"),
    ('<iframe src="https://evil.example"></iframe>', "<iframe"),
    ('<a href="javascript:alert(1)">x</a>', "javascript:"),
    ('<a href="JaVaScRiPt:alert(1)">x</a>', "javascript:"),
    ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', "data:"),
    ('<a href="vbscript:msgbox(1)">x</a>', "vbscript:"),
    ('<p style="background:url(javascript:alert(1))">x</p>', "style="),
    ('<svg onload="steal()"></svg>', "onload"),
    ('<form action="https://evil.example"><input name="q"></form>', "<form"),
    ("<object data='x.swf'></object>", "<object"),
    ('<a href="https://x.example" target="_blank" rel="opener">x</a>', "target="),
    ("<!-- hidden --><p>x</p>", "<!--"),
]


@pytest.mark.parametrize(("html", "forbidden"), DANGEROUS)
def test_the_sanitiser_strips_each_dangerous_construct(html, forbidden):
    assert forbidden.lower() not in sanitise_html(html).lower()


@pytest.mark.parametrize(("html", "forbidden"), DANGEROUS)
def test_raw_html_in_markdown_is_shown_as_text_never_as_markup(html, forbidden):
    soup = BeautifulSoup(str(markdown_to_html(f"Before\n\n{html}\n\nAfter")), "html.parser")
    for tag in soup.find_all(True):
        assert tag.name in ALLOWED_TAGS
        assert set(tag.attrs) <= ALLOWED_ATTRIBUTES.get(tag.name, set())
    assert not soup.find_all("a"), "no link was made from raw HTML"


@pytest.mark.parametrize(
    "markdown", ["[x](javascript:alert(1))", "[x](data:text/html,hi)", "[x](vbscript:y)", "<javascript:alert(1)>"]
)
def test_markdown_links_only_go_to_web_or_mail_addresses(markdown):
    assert "href" not in str(markdown_to_html(markdown))


def test_what_markdown_is_for_survives():
    html = str(
        markdown_to_html(
            "**Bold** and _italic_, a [link](https://daytryp.com/a) and [mail](mailto:hi@daytryp.com)\n\n"
            "## Aftercare\n\n- one\n- two\n\n1. first\n2. second"
        )
    )
    for kept in ("<strong>Bold</strong>", "<em>italic</em>", 'href="https://daytryp.com/a"',
                 'href="mailto:hi@daytryp.com"', "<h3>Aftercare</h3>", "<ul>", "<ol>", "<li>one</li>"):  # fmt: skip
        assert kept in html


def test_plain_text_keeps_paragraphs_lists_and_link_addresses():
    text = markdown_to_text("Read **this** [page](https://daytryp.com/a).\n\n- one\n- two\n\nEnd.")
    assert text == "Read this page (https://daytryp.com/a).\n\n- one\n- two\n\nEnd."
