"""Rendering one composed issue as an email: Jinja2 fills an MJML layout, MRML turns it into responsive HTML.

MRML (the `mrml` package, a Python binding of the Rust port of MJML) is used rather than `mjml-python`: it is the
binding published by MRML's own authors, in step with MRML's releases, needs no Node.js, and renders an issue in a
few milliseconds. The only CSS left to us is the mj-style block for the sections' own HTML (paragraphs, links,
subheadings); it is inlined afterwards, as MJML's own renderer would do with `inline="inline"`.

Per-recipient values stay placeholders (service/rendering/email.RECIPIENT_KEYS and placeholders.FIRST_NAME), filled
by the channel, so one rendering serves a whole batch. Section text is Markdown, made safe by
service/rendering/markdown.py before any template sees it.
"""

from dataclasses import dataclass, field

import mrml

from service.rendering.clinic import ClinicInfo
from service.rendering.email import (
    GREETING_HTML,
    GREETING_TEXT,
    UNSUBSCRIBE_URL,
    RenderedEmail,
    check_subject,
)
from service.rendering.environment import template_environment
from service.rendering.inline_css import inline_css
from service.rendering.markdown import markdown_to_html, markdown_to_text
from service.rendering.utm import tag_html_links, tag_text_links

LAYOUTS = {"letter": "email/mjml/letter.mjml", "digest": "email/mjml/digest.mjml"}
TEASER_LENGTH = 220
GMAIL_CLIP_BYTES = 102 * 1024  # Gmail clips an HTML part longer than this behind "View entire message"


class MjmlError(RuntimeError):
    """MRML could not render the layout (a template bug, never the marketer's text: that is escaped)."""


@dataclass(frozen=True)
class Image:
    url: str
    alt: str


@dataclass(frozen=True)
class SectionContent:
    heading: str
    body: str  # Markdown
    image: Image | None = None


@dataclass(frozen=True)
class IssueContent:
    """What one email says, as composed; the subject has its {{ heading }} already filled in."""

    subject: str
    sections: tuple[SectionContent, ...]
    layout: str = "letter"
    preheader: str = ""
    intro: str = ""  # Markdown
    cta_label: str = ""
    cta_url: str = ""
    sign_off: str = ""  # Markdown
    hero: Image | None = None
    read_more_url: str = ""
    # Numbered notes citing the claims-library evidence behind the email's claims (empty unless the campaign asks).
    references: tuple = ()
    extra: dict = field(default_factory=dict)


def teaser(text: str, length: int = TEASER_LENGTH) -> str:
    """The first paragraph of `text`, cut at a word before `length` characters."""
    first = next((part.strip() for part in text.split("\n\n") if part.strip()), "")
    first = " ".join(first.split())
    if len(first) <= length:
        return first
    return first[:length].rsplit(" ", 1)[0].rstrip(",;:.") + "\u2026"


def render_issue(content: IssueContent, *, clinic: ClinicInfo, campaign_slug: str = "") -> RenderedEmail:
    """Raises SubjectError for an empty subject or one with a line break, MjmlError if MRML refuses the layout."""
    sections = []
    for section in content.sections:
        text = markdown_to_text(section.body)
        sections.append(
            {
                "heading": section.heading,
                "html": markdown_to_html(section.body),
                "text": text,
                "teaser": teaser(text),
                "image": section.image,
            }
        )
    context = {
        "subject": check_subject(content.subject),
        "preheader": content.preheader,
        "layout": content.layout,
        "sections": sections,
        "intro_html": markdown_to_html(content.intro) if content.intro.strip() else "",
        "intro_text": markdown_to_text(content.intro),
        "sign_off_html": markdown_to_html(content.sign_off) if content.sign_off.strip() else "",
        "sign_off_text": markdown_to_text(content.sign_off),
        "cta_label": content.cta_label,
        "cta_url": content.cta_url,
        "hero": content.hero,
        "read_more_url": content.read_more_url,
        "references": content.references,
        "clinic": clinic,
        "unsubscribe_url": UNSUBSCRIBE_URL,
        "greeting_text": GREETING_TEXT,
        "greeting_html": GREETING_HTML,
    }
    env = template_environment()
    source = env.get_template(LAYOUTS.get(content.layout, LAYOUTS["letter"])).render(context)
    try:
        html = mrml.to_html(source).content
    except Exception as error:  # MRML raises bare exceptions with its parser's message
        raise MjmlError(f"MJML could not be rendered: {error}") from error
    text = env.get_template("email/issue.txt").render(context)
    if campaign_slug:
        html = tag_html_links(html, campaign=campaign_slug, website_url=clinic.website_url)
        text = tag_text_links(text, campaign=campaign_slug, website_url=clinic.website_url)
    return RenderedEmail(subject=context["subject"], html=inline_css(html), text=text)


def clipped_by_gmail(html: str) -> bool:
    return len(html.encode("utf-8")) > GMAIL_CLIP_BYTES
