"""The emails that go out: a campaign's newsletter, and the templated emails a subscriber gets outside campaigns.

Every one is made by `outgoing_email`, so every one carries the same one-click unsubscribe headers (RFC 8058).
A newsletter is rendered once per message with per-recipient placeholders; `recipients_for` gives each recipient
the values a channel puts in their place.
"""

from dataclasses import replace

from markupsafe import escape

from service.channels.email.base import OutgoingEmail, Recipient
from service.composer.content import issue_content
from service.composer.placeholders import DEFAULT_FIRST_NAME, FIRST_NAME, first_name_value
from service.media.urls import MEDIA_URL_PATH
from service.models import Campaign, EmailIssue
from service.outgoing.links import UnsubscribeLinks
from service.rendering.clinic import ClinicInfo
from service.rendering.email import (
    GREETING_HTML,
    GREETING_TEXT,
    UNSUBSCRIBE_URL,
    check_subject,
    greeting_for,
)
from service.rendering.environment import template_environment
from service.rendering.inline_css import inline_css
from service.rendering.mjml_email import render_issue


def outgoing_email(
    *,
    subject: str,
    html: str,
    text: str,
    unsubscribe_link: str,
    categories: tuple[str, ...],
    custom_args: dict[str, str] | None = None,
) -> OutgoingEmail:
    """An email with the headers every email carries. `unsubscribe_link` may be a per-recipient placeholder."""
    return OutgoingEmail(
        subject=subject,
        html=html,
        text=text,
        headers={
            "List-Unsubscribe": f"<{unsubscribe_link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        categories=categories,
        custom_args=custom_args or {},
    )


def outgoing_email_for(
    campaign: Campaign,
    issue: EmailIssue,
    clinic: ClinicInfo,
    message_id: int | None = None,
    *,
    media_base: str | None = None,
) -> OutgoingEmail:
    """The newsletter email (one issue) as it goes out; previews call it too (without a message id), so they show
    exactly this.

    Raises SubjectError (empty subject, line break) or PlaceholderError (unknown placeholder: refused on save, so
    only old data). `media_base`: where its images are (media_base_url(config); default: the app's own /media)."""
    media_base = media_base or f"{clinic.public_base_url.rstrip('/')}{MEDIA_URL_PATH}"
    content = issue_content(campaign, issue, clinic, media_base)
    rendered = render_issue(content, clinic=clinic, campaign_slug=campaign.slug)
    return outgoing_email(
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        unsubscribe_link=UNSUBSCRIBE_URL,
        categories=("newsletter", campaign.slug[:255]),
        custom_args={"message_id": str(message_id)} if message_id else {},
    )


def with_batch_id(email: OutgoingEmail, batch_id: int) -> OutgoingEmail:
    """The email as one batch of a send carries it: its events then name the batch."""
    return replace(email, custom_args={**email.custom_args, "batch_id": str(batch_id)})


def recipient_values(
    unsubscribe_link: str, first_name: str, first_name_default: str = DEFAULT_FIRST_NAME
) -> dict[str, str]:
    """The per-recipient substitutions of a newsletter email (the subject's {{ first_name }} included)."""
    greeting = greeting_for(first_name or "")
    return {
        UNSUBSCRIBE_URL: unsubscribe_link,
        GREETING_TEXT: greeting,
        GREETING_HTML: str(escape(greeting)),
        FIRST_NAME: first_name_value(first_name, first_name_default),
    }


def recipients_for(
    rows: list, clinic: ClinicInfo, secret_key: str, first_name_default: str = DEFAULT_FIRST_NAME
) -> list[Recipient]:
    """Newsletter recipients for audience rows of (id, public_id, email, first_name)."""
    links = UnsubscribeLinks(clinic, secret_key).for_subscribers([row.public_id for row in rows])
    return [
        Recipient(email=row.email, substitutions=recipient_values(link, row.first_name, first_name_default))
        for row, link in zip(rows, links, strict=True)
    ]


def templated_email(template: str, subject: str, context: dict, category: str) -> OutgoingEmail:
    """An email from `templates/email/<template>.html` and `.txt`, in the clinic's standard layout.

    `context` must hold the recipient's real `unsubscribe_url` (these emails go to one person, so no placeholder).
    Raises SubjectError for a subject that cannot be sent."""
    env = template_environment()
    context = {**context, "subject": check_subject(subject)}
    return outgoing_email(
        subject=context["subject"],
        # Inlined like the newsletter's: many mail clients drop <style> blocks.
        html=inline_css(env.get_template(f"email/{template}.html").render(context)),
        text=env.get_template(f"email/{template}.txt").render(context),
        unsubscribe_link=context["unsubscribe_url"],
        categories=(category,),
    )
