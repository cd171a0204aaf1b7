"""The preview of an email exactly as one chosen subscriber would get it, placeholders and all filled in.

The sample subscriber gives the first name only; the unsubscribe link has the real shape but belongs to no
subscriber (id 0) and is marked `?preview=1`, so clicking it in a preview unsubscribes nobody.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.channels.email.base import apply_substitutions
from service.composer.placeholders import first_name_default
from service.media.urls import media_base_url
from service.models import Campaign, EmailIssue, Subscriber
from service.outgoing.email import outgoing_email_for, recipient_values
from service.outgoing.links import unsubscribe_url
from service.rendering.clinic import ClinicInfo
from service.rendering.mjml_email import GMAIL_CLIP_BYTES
from service.subscribers.audience import audience_batch

PREVIEW_SUBSCRIBER_ID = 0
SAMPLE_LIMIT = 20


@dataclass(frozen=True)
class PreviewedEmail:
    subject: str
    preheader: str
    html: str
    text: str

    @property
    def size_bytes(self) -> int:
        return len(self.html.encode("utf-8"))

    @property
    def clipped_by_gmail(self) -> bool:
        return self.size_bytes > GMAIL_CLIP_BYTES


def sample_subscribers(session: Session, campaign: Campaign) -> list:
    """A few of the campaign's audience (id, email, first_name) to preview as, first ones first."""
    return audience_batch(session, campaign.topics or [], after_id=0, limit=SAMPLE_LIMIT)


def preview_email(
    session: Session, campaign: Campaign, issue: EmailIssue, config: Mapping, subscriber_id: int | None = None
) -> PreviewedEmail:
    """Raises SubjectError or PlaceholderError as outgoing_email_for does."""
    clinic = ClinicInfo.from_config(config)
    email = outgoing_email_for(campaign, issue, clinic, media_base=media_base_url(config))
    first_name = ""
    if subscriber_id:
        first_name = session.scalar(select(Subscriber.first_name).where(Subscriber.id == subscriber_id)) or ""
    link = unsubscribe_url(clinic, config["SECRET_KEY"], PREVIEW_SUBSCRIBER_ID) + "?preview=1"
    values = recipient_values(link, first_name, first_name_default(issue.subject or campaign.email_subject))
    return PreviewedEmail(
        subject=apply_substitutions(email.subject, values),
        preheader=issue.preheader,
        html=apply_substitutions(email.html, values),
        text=apply_substitutions(email.text, values),
    )
