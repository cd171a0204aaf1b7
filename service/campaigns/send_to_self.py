"""A test send: one of a campaign's emails, exactly as it will go out, to the person asking and no one else.

It goes through the configured channel at once (no worker, no batch, no delivery record), with "[Test]" before the
subject so it is never mistaken for the real send. The recipient is always the logged-in user's own address: there
is deliberately no way to name another one. The unsubscribe link in it points at no subscriber.
"""

from collections.abc import Mapping
from dataclasses import replace

from sqlalchemy.orm import Session

from service import audit
from service.channels.email.base import EmailChannel, EmailSendError, Recipient
from service.models import Campaign, User
from service.outgoing.email import outgoing_email_for, recipient_values
from service.outgoing.links import unsubscribe_url
from service.rendering.clinic import ClinicInfo
from service.rendering.email import SubjectError

SUBJECT_PREFIX = "[Test] "
# Subscriber ids start at 1: a token for id 0 leads to the "you are unsubscribed" page and changes nothing.
NO_SUBSCRIBER_ID = 0


class SendToSelfError(ValueError):
    """The test email could not be sent; the message says why, for a person."""


def send_test_email(
    session: Session, campaign: Campaign, position: int, user: User, *, channel: EmailChannel, config: Mapping
) -> str | None:
    """Send snippet `position`'s email to `user`'s own address; audit-logged. Returns the provider's id."""
    if not campaign.send_email:
        raise SendToSelfError("This campaign sends no email.")
    if not 0 <= position < len(campaign.snippets):
        raise SendToSelfError("There is no such email in this campaign.")
    clinic = ClinicInfo.from_config(config)
    try:
        email = outgoing_email_for(campaign, campaign.snippets[position], clinic)
    except SubjectError as error:
        raise SendToSelfError(f"The subject cannot be sent: {error}") from error
    email = replace(
        email,
        subject=SUBJECT_PREFIX + email.subject,
        categories=("test-send", campaign.slug[:255]),
        custom_args={"test_send": "1", "campaign_id": str(campaign.id)},
    )
    link = unsubscribe_url(clinic, config["SECRET_KEY"], NO_SUBSCRIBER_ID)
    first_name = (user.name or "").split(" ")[0]
    try:
        provider_id = channel.send_batch(
            email, [Recipient(email=user.email, substitutions=recipient_values(link, first_name))]
        )
    except EmailSendError as error:
        raise SendToSelfError(f"The test email was not sent: {error}") from error
    audit.record(
        session, "campaign:test-send", actor=user, campaign=campaign, detail=f"email {position + 1} to the sender"
    )
    return provider_id
