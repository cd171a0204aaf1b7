"""Rendering one snippet as a newsletter email: HTML and plain text, rendered once per message.

Per-recipient values are placeholders (RECIPIENT_KEYS) filled by the channel, so one rendering serves a batch.
The HTML part has its CSS inlined (mail clients drop <style> blocks); with a campaign slug, links to the clinic's own
site carry UTM parameters in both parts (other links are left as written).
"""

from dataclasses import dataclass

from service.rendering.clinic import ClinicInfo
from service.rendering.environment import template_environment
from service.rendering.inline_css import inline_css
from service.rendering.utm import tag_html_links, tag_text_links

UNSUBSCRIBE_URL = "-unsubscribe_url-"
GREETING_TEXT = "-greeting_text-"
GREETING_HTML = "-greeting_html-"
RECIPIENT_KEYS = (UNSUBSCRIBE_URL, GREETING_TEXT, GREETING_HTML)


# Every character str.splitlines() breaks at, and NUL: any of them could let text escape the Subject header.
_HEADER_BREAKERS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x00")


class SubjectError(ValueError):
    """A subject that would break the email's headers."""


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


def paragraphs(body: str) -> list[str]:
    return [part.strip() for part in body.replace("\r\n", "\n").split("\n\n") if part.strip()]


def check_subject(subject: str) -> str:
    if any(ch in _HEADER_BREAKERS for ch in subject):
        raise SubjectError("The subject must be a single line.")
    if not subject.strip():
        raise SubjectError("The subject is empty.")
    return subject.strip()


def render_email(
    *,
    subject: str,
    heading: str,
    body: str,
    clinic: ClinicInfo,
    read_more_url: str = "",
    preheader: str = "",
    campaign_slug: str = "",
) -> RenderedEmail:
    """Raises SubjectError for a subject with a line break (it would break the headers) or an empty one."""
    context = {
        "subject": check_subject(subject),
        "heading": heading,
        "paragraphs": paragraphs(body),
        "clinic": clinic,
        "read_more_url": read_more_url,
        "preheader": preheader,
        "unsubscribe_url": UNSUBSCRIBE_URL,
        "greeting_text": GREETING_TEXT,
        "greeting_html": GREETING_HTML,
    }
    env = template_environment()
    html = env.get_template("email/newsletter.html").render(context)
    text = env.get_template("email/newsletter.txt").render(context)
    if campaign_slug:
        html = tag_html_links(html, campaign=campaign_slug, website_url=clinic.website_url)
        text = tag_text_links(text, campaign=campaign_slug, website_url=clinic.website_url)
    return RenderedEmail(subject=context["subject"], html=inline_css(html), text=text)


def greeting_for(first_name: str) -> str:
    name = " ".join(first_name.split())
    return f"Hi {name}," if name else "Hello,"
