"""The article parser: plain text, Markdown and HTML into a title and snippets."""

import codecs
import dataclasses
import json

import pytest

from service.articles.parse import (
    ArticleParseError,
    ParsedArticle,
    ParsedSnippet,
    content_fingerprint,
    detect_format,
    parse_article,
)
from tests.factories import SEED_ARTICLE_FILENAME
from tests.paths import ARTICLE_SAMPLES_DIR, CLINIC_ARTICLE_NAME


@dataclasses.dataclass(frozen=True)
class LongPlainText:
    """A long plain-text article (one paragraph per line, no title line) and what its parse must hold."""

    text: str
    filename: str
    title: str
    first_heading: str
    headings_in_order: list[str]


def read_sample(name: str) -> str:
    return (ARTICLE_SAMPLES_DIR / name).read_text(encoding="utf-8")


def headings_of(article: ParsedArticle) -> list[str]:
    return [snippet.heading for snippet in article.snippets]


def snippet_by_heading(article: ParsedArticle, heading: str) -> ParsedSnippet:
    return next(snippet for snippet in article.snippets if snippet.heading == heading)


@pytest.fixture(params=["our sample", "the clinic's article"])
def source(request, seed_article_text: str) -> LongPlainText:
    """Our own long sample, always; and the clinic's published article when this workspace has it."""
    if request.param == "our sample":
        headings = ["Before You Book", "What Should I Bring?", "Group Sessions", "Where To Learn More"]
        return LongPlainText(seed_article_text, SEED_ARTICLE_FILENAME, "A visit to the clinic", headings[0], headings)
    text = request.getfixturevalue("clinic_article_text")
    headings = ["How Does Ketamine Work?", "Ketamine Benefits", "Antidepressant", "Seizures"]
    return LongPlainText(text, CLINIC_ARTICLE_NAME, "Ketamine and substance abuse", headings[0], headings)


@pytest.fixture
def parsed(source: LongPlainText) -> ParsedArticle:
    return parse_article(source.text, filename=source.filename)


# --- long plain text (one paragraph per line, no title line) -------------------------------------------------


def test_plain_text_is_read_as_such_with_a_title_from_its_filename(source, parsed):
    assert parsed.format == "text"
    assert parsed.title == source.title


def test_opening_paragraphs_become_an_intro_snippet_under_the_title(source, parsed):
    intro = parsed.snippets[0]
    assert intro.heading == parsed.title
    assert intro.body.split("\n\n")[0] == source.text.splitlines()[0].strip()


def test_at_least_fourteen_headings_are_found_in_source_order(source, parsed):
    section_headings = headings_of(parsed)[1:]
    assert len(section_headings) >= 14
    positions = [section_headings.index(heading) for heading in source.headings_in_order]
    assert positions == sorted(positions)


def test_headings_are_lines_of_the_source(source, parsed):
    source_lines = [line.strip() for line in source.text.splitlines()]
    assert all(heading in source_lines for heading in headings_of(parsed)[1:])


def test_no_text_is_lost(source, parsed):
    """Every non-blank source line comes back exactly once, in order, as a heading or a body paragraph."""
    source_lines = [line.strip() for line in source.text.splitlines() if line.strip()]
    pieces = []
    for position, snippet in enumerate(parsed.snippets):
        is_intro = position == 0 and snippet.heading == parsed.title
        if not is_intro:
            pieces.append(snippet.heading)
        pieces.extend(paragraph for paragraph in snippet.body.split("\n\n") if paragraph)
    assert pieces == source_lines


def test_curly_quotes_are_kept_untouched(source, parsed):
    bodies = "".join(snippet.body for snippet in parsed.snippets)
    assert "\u2019" in source.text
    assert bodies.count("\u2019") == source.text.count("\u2019")
    assert bodies.count("\u201c") == source.text.count("\u201c")


def test_uploaded_as_bytes_with_bom_and_crlf_it_parses_the_same(source, parsed):
    windows_bytes = codecs.BOM_UTF8 + source.text.replace("\n", "\r\n").encode("utf-8")
    assert parse_article(windows_bytes, filename=source.filename) == parsed


def test_without_a_filename_it_is_titled_by_its_first_heading(source):
    article = parse_article(source.text)
    assert article.title == source.first_heading
    assert article.snippets[0].heading == article.title


def test_the_json_dict_holds_title_and_snippets_and_serialises(source, parsed):
    data = parsed.to_json_dict()
    assert set(data) == {"title", "snippets"}
    assert data["title"] == parsed.title
    assert data["snippets"][1] == {"heading": source.first_heading, "body": parsed.snippets[1].body}
    assert json.loads(json.dumps(data)) == data


def test_parsed_article_is_immutable(parsed):
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.title = "changed"  # type: ignore[misc]


# --- plain-text heading rules -------------------------------------------------------------------------------


def test_text_first_line_that_looks_like_a_heading_is_the_title_not_a_snippet():
    article = parse_article("Visiting Our Clinic\nParking is free behind the building.\n")
    assert article.title == "Visiting Our Clinic"
    assert article.snippets == (ParsedSnippet("Visiting Our Clinic", "Parking is free behind the building."),)


def test_text_title_line_wins_over_the_filename():
    article = parse_article("Visiting Our Clinic\nParking is free.\n", filename="visit-notes.txt")
    assert article.title == "Visiting Our Clinic"


def test_text_group_heading_followed_by_a_heading_keeps_an_empty_snippet():
    text = "Opening words go here.\nOther Services\nMassage\nWe offer short sessions.\n"
    article = parse_article(text, filename="services.txt")
    assert headings_of(article) == ["Services", "Other Services", "Massage"]
    assert snippet_by_heading(article, "Other Services").body == ""


@pytest.mark.parametrize(
    "line",
    [
        "A closing sentence ends with a full stop.",
        "Exciting news!",
        "Here is what you need:",
        "She told us \u201cit helped.\u201d",
        "- Bring a photo ID",
        "2. Arrive early",
        "Ten words and more words and more words and more words and still more words",
        "----",
    ],
)
def test_text_lines_that_read_as_sentences_or_list_items_are_body(line):
    article = parse_article(f"Intro paragraph first.\n{line}\n", filename="notes.txt")
    assert headings_of(article) == ["Notes"]
    assert article.snippets[0].body == f"Intro paragraph first.\n\n{line}"


@pytest.mark.parametrize("line", ["Is It Right for Me?", "Therapy Options (2024)", "\u201cQuoted Heading\u201d"])
def test_text_short_lines_without_closing_punctuation_or_ending_in_a_question_are_headings(line):
    article = parse_article(f"Intro paragraph first.\n{line}\nBody line.\n", filename="notes.txt")
    assert headings_of(article) == ["Notes", line]


def test_text_blank_lines_between_paragraphs_are_ignored():
    article = parse_article("First paragraph.\n\n\nSecond paragraph.\n\nNext Step\n\nThird paragraph.\n")
    assert article.snippets[0].body == "First paragraph.\n\nSecond paragraph."
    assert article.snippets[1] == ParsedSnippet("Next Step", "Third paragraph.")


def test_hard_wrapped_text_joins_wrapped_lines_and_finds_only_real_headings():
    article = parse_article(read_sample("wrapped-notes.txt"), filename="wrapped-notes.txt")
    assert article.title == "Preparing for Your First Visit"
    assert headings_of(article) == ["Preparing for Your First Visit", "What to Bring"]
    intro, to_bring = article.snippets
    assert intro.body.count("\n\n") == 0
    assert intro.body.startswith("This note is wrapped") and intro.body.endswith("sentence.")
    assert to_bring.body.split("\n\n") == [
        "A photo ID, a list of current medications and someone who can drive you home afterwards.",
        "Questions we often hear are answered by the front desk team whenever you call.",
    ]


# --- Markdown -----------------------------------------------------------------------------------------------


@pytest.fixture
def markdown_article() -> ParsedArticle:
    return parse_article(read_sample("therapy-options.md"), filename="therapy-options.md")


def test_markdown_first_h1_is_the_title_and_not_a_snippet(markdown_article):
    assert markdown_article.format == "markdown"
    assert markdown_article.title == "Choosing a Therapy Path"
    assert markdown_article.snippets[0].heading == "Choosing a Therapy Path"
    assert markdown_article.snippets[0].body.startswith("Every visit starts")


def test_markdown_h2_h3_and_setext_headings_start_snippets_in_order(markdown_article):
    assert headings_of(markdown_article) == [
        "Choosing a Therapy Path",
        "Talk Therapy",
        "Setext Style Section",
        "Paying for Care",
    ]


def test_markdown_hash_inside_a_code_fence_is_not_a_heading(markdown_article):
    talk = snippet_by_heading(markdown_article, "Talk Therapy")
    assert "# this comment is code, not a heading" in talk.body
    assert all("comment" not in heading for heading in headings_of(markdown_article))


def test_markdown_body_keeps_the_markdown_source_of_paragraphs_and_lists(markdown_article):
    talk = snippet_by_heading(markdown_article, "Talk Therapy").body.split("\n\n")
    assert talk[0].split("\n") == [
        "Weekly sessions with a licensed counselor help you notice patterns",
        "and try new habits between visits.",
    ]
    assert talk[1] == "- Individual sessions\n- Group sessions\n  - evenings\n  - weekends"
    setext = snippet_by_heading(markdown_article, "Setext Style Section")
    assert setext.body == "Intake paperwork takes about *ten minutes* & can be done online."


def test_markdown_h4_and_deeper_stay_in_the_body(markdown_article):
    paying = snippet_by_heading(markdown_article, "Paying for Care").body.split("\n\n")
    assert paying == [
        "1. Ask about sliding-scale fees.\n2. Bring your insurance card.",
        "#### A small note stays in the body",
        "Call the front desk with questions.",
    ]


def test_markdown_front_matter_is_not_body_and_titles_only_when_there_is_no_h1():
    text = '---\ntitle: "Evening Hours"\n---\nWe now open late on Thursdays.\n\n## Booking\n\nCall us.\n'
    article = parse_article(text, fmt="markdown")
    assert article.title == "Evening Hours"
    assert article.snippets == (
        ParsedSnippet("Evening Hours", "We now open late on Thursdays."),
        ParsedSnippet("Booking", "Call us."),
    )


def test_markdown_heading_markup_is_reduced_to_plain_text():
    article = parse_article("# Care *Plans* for `You`\n\n## Why [Us](https://example.org)?\n\nText.\n", fmt="markdown")
    assert article.title == "Care Plans for You"
    assert headings_of(article) == ["Why Us?"]


# --- HTML ---------------------------------------------------------------------------------------------------


@pytest.fixture
def html_article() -> ParsedArticle:
    return parse_article(read_sample("therapy-options.html"), filename="therapy-options.html")


def test_html_title_is_the_article_h1_not_the_site_header_h1(html_article):
    assert html_article.format == "html"
    assert html_article.title == "Finding Calm Together"


def test_html_h2_and_h3_start_snippets_and_the_title_h1_does_not(html_article):
    assert headings_of(html_article) == [
        "Finding Calm Together",
        "Meet Your Care Team",
        "What to Expect",
        "Before the Visit",
        "After the Visit",
    ]
    assert snippet_by_heading(html_article, "What to Expect").body == ""


def test_html_site_chrome_scripts_styles_and_forms_are_dropped(html_article):
    everything = json.dumps(html_article.to_json_dict())
    for dropped in [
        "Site tagline",
        "Home",
        "Previous post",
        "Copyright",
        "Related posts",
        "Subscribe",
        "enable JavaScript",
        "trackVisit",
        "console.log",
        "teal",
        "editors:",
    ]:
        assert dropped not in everything


def test_html_entities_are_decoded_and_whitespace_collapsed(html_article):
    assert html_article.snippets[0].body == "Our team builds each care plan around you \u2014 not a checklist."
    team = snippet_by_heading(html_article, "Meet Your Care Team").body.split("\n\n")
    assert team == [
        "Nurses, counselors & physicians share notes so you never repeat your story.",
        "Visits run about an hour. Bring a friend if you like.",
    ]
    after = snippet_by_heading(html_article, "After the Visit")
    assert after.body == "Rest for the remainder of the day and drink water."


def test_html_lists_become_dash_lines_with_nested_items_indented(html_article):
    before = snippet_by_heading(html_article, "Before the Visit")
    assert before.body == "- Eat a light meal.\n- Arrange a ride home\n  - a rideshare is fine"


def test_html_without_h1_takes_the_page_title_without_the_site_name():
    html = "<head><title>Winter Hours | Sunrise Wellness</title></head><body><p>Open at nine.</p></body>"
    article = parse_article(html)
    assert (article.title, article.snippets) == (
        "Winter Hours",
        (ParsedSnippet("Winter Hours", "Open at nine."),),
    )


def test_html_fragment_with_loose_text_and_an_ordered_list():
    html = '<h2>Steps</h2>Loose <b>bold</b> text<ol start="3"><li>Check in</li><li><p>Relax</p></li></ol>'
    article = parse_article(html, fmt="html", filename="steps.html")
    assert article.snippets == (ParsedSnippet("Steps", "Loose bold text\n\n3. Check in\n4. Relax"),)


def test_html_with_only_navigation_has_no_text():
    with pytest.raises(ArticleParseError, match="No text found in the HTML"):
        parse_article("<html><body><nav><a href='/'>Home</a></nav></body></html>", filename="page.html")


def test_html_with_only_a_title_says_the_body_is_missing():
    with pytest.raises(ArticleParseError, match="Only a title was found"):
        parse_article("<h1>Just a Title</h1>", fmt="html")


# --- format detection ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("notes.txt", "text"),
        ("notes.md", "markdown"),
        ("notes.markdown", "markdown"),
        ("page.html", "html"),
        ("page.htm", "html"),
        ("PAGE.HTML", "html"),
        ("C:\\Users\\staff\\notes.md", "markdown"),
    ],
)
def test_format_is_detected_from_the_extension_first(filename, expected):
    assert detect_format("<html><body># not what it seems</body></html>", filename) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<!DOCTYPE html><html><body><p>Hi</p></body></html>", "html"),
        ("\ufeff  <article><h2>Hi</h2></article>", "html"),
        ("# Heading\n\nText.", "markdown"),
        ("Text with a [link](https://example.org).", "markdown"),
        ("Heading\n=======\n\nText.", "markdown"),
        ("```\ncode\n```", "markdown"),
        ("Just a line of text.\nAnd another one.", "text"),
        ("Price is 5 < 6 and #1 in town.", "text"),
    ],
)
def test_format_is_sniffed_from_the_content_without_a_known_extension(raw, expected):
    assert detect_format(raw) == expected
    assert detect_format(raw, "upload.bin") == expected


def test_explicit_format_overrides_detection():
    article = parse_article("# Not a heading in plain text\nBody line.\n", filename="x.md", fmt="text")
    assert article.format == "text"
    assert article.title == "# Not a heading in plain text"


def test_unknown_explicit_format_is_refused():
    with pytest.raises(ArticleParseError, match="Unknown article format 'pdf'"):
        parse_article("Some text.", fmt="pdf")


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "   \n\r\n\t", b"", codecs.BOM_UTF8, codecs.BOM_UTF8 + b"\n \n"])
def test_empty_input_is_refused(raw):
    with pytest.raises(ArticleParseError, match="The file is empty"):
        parse_article(raw, filename="empty.txt")


def test_bytes_that_are_not_utf8_are_refused_with_a_clear_message():
    with pytest.raises(ArticleParseError, match=r"not UTF-8 text \(byte 0xe9 at position 3"):
        parse_article("Caf\u00e9 hours".encode("latin-1"))


def test_binary_content_is_refused():
    with pytest.raises(ArticleParseError, match="binary"):
        parse_article(b"\x89PNG\r\n\x1a\n\x00\x00\x00")


def test_bytes_with_a_bom_lose_the_bom():
    article = parse_article(codecs.BOM_UTF8 + b"Opening Hours\nWe open at nine.\n")
    assert article.title == "Opening Hours"


def test_article_error_is_a_value_error():
    assert issubclass(ArticleParseError, ValueError)


# --- fingerprint --------------------------------------------------------------------------------------------


def test_fingerprint_ignores_line_endings_trailing_whitespace_bom_and_encoding():
    plain = "Heading\nSome text.\n"
    variants = [
        "Heading  \r\nSome text.\t\r\n\r\n",
        "\ufeffHeading\rSome text.",
        codecs.BOM_UTF8 + plain.encode("utf-8"),
        "\nHeading\nSome text.\n\n\n",
    ]
    assert {content_fingerprint(variant) for variant in variants} == {content_fingerprint(plain)}


def test_fingerprint_is_a_sha256_hex_digest_that_changes_with_the_words():
    fingerprint = content_fingerprint("Some text.")
    assert len(fingerprint) == 64 and int(fingerprint, 16) >= 0
    assert content_fingerprint("Some text!") != fingerprint
    assert content_fingerprint("  Some text.") != fingerprint
