"""Rendering one snippet as a newsletter email: HTML and plain text, rendered once per message.

Per-recipient values are placeholders (RECIPIENT_KEYS) filled by the channel, so one rendering serves a batch.
"""

from dataclasses import dataclass

from service.rendering.clinic import ClinicInfo
from service.rendering.environment import template_environment

UNSUBSCRIBE_URL = "-unsubscribe_url-"
GREETING_TEXT = "-greeting_text-"
GREETING_HTML = "-greeting_html-"
RECIPIENT_KEYS = (UNSUBSCRIBE_URL, GREETING_TEXT, GREETING_HTML)


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
    if any(ch in subject for ch in "\r\n\x00"):
        raise SubjectError("The subject must be a single line.")
    if not subject.strip():
        raise SubjectError("The subject is empty.")
    return subject.strip()


def render_email(
    *, subject: str, heading: str, body: str, clinic: ClinicInfo, read_more_url: str = "", preheader: str = ""
) -> RenderedEmail:
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
    return RenderedEmail(
        subject=context["subject"],
        html=env.get_template("email/newsletter.html").render(context),
        text=env.get_template("email/newsletter.txt").render(context),
    )


def greeting_for(first_name: str) -> str:
    name = " ".join(first_name.split())
    return f"Hi {name}," if name else "Hello,"
