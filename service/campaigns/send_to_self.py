"""A test send: one of a campaign's emails, exactly as it will go out, to team members and no one else.

It goes through the configured channel at once (no worker, no batch, no delivery record), with "[Test]" before the
subject so it is never mistaken for the real send. The recipients are accounts of the team (users), at most
MAX_TEST_RECIPIENTS, chosen by id: there is deliberately no way to type an address, so a subscriber never gets one.
The unsubscribe link in it points at no subscriber.
"""

from collections.abc import Mapping, Sequence
from dataclasses import replace

from sqlalchemy.orm import Session

from service import audit
from service.channels.email.base import EmailChannel, EmailSendError, Recipient
from service.composer.placeholders import PlaceholderError, first_name_default
from service.media.urls import media_base_url
from service.models import Campaign, User
from service.outgoing.email import outgoing_email_for, recipient_values
from service.outgoing.links import unsubscribe_url
from service.rendering.clinic import ClinicInfo
from service.rendering.email import SubjectError

SUBJECT_PREFIX = "[Test] "
MAX_TEST_RECIPIENTS = 5
# Subscriber ids start at 1: a token for id 0 leads to the "you are unsubscribed" page and changes nothing.
NO_SUBSCRIBER_ID = 0


class SendToSelfError(ValueError):
    """The test email could not be sent; the message says why, for a person."""


def send_test_email(
    session: Session,
    campaign: Campaign,
    position: int,
    user: User,
    *,
    channel: EmailChannel,
    config: Mapping,
    to: Sequence[User] = (),
) -> str | None:
    """Send email `position` to `to` (team accounts; default: `user` alone); audit-logged. Returns the provider's id."""
    if not campaign.send_email:
        raise SendToSelfError("This campaign sends no email.")
    if not 0 <= position < len(campaign.issues):
        raise SendToSelfError("There is no such email in this campaign.")
    recipients = list(dict.fromkeys(to)) or [user]
    if len(recipients) > MAX_TEST_RECIPIENTS:
        raise SendToSelfError(f"Send a test to at most {MAX_TEST_RECIPIENTS} people of the team.")
    if any(not member.active for member in recipients):
        raise SendToSelfError("Tests go to active team accounts only.")
    clinic = ClinicInfo.from_config(config)
    issue = campaign.issues[position]
    try:
        email = outgoing_email_for(campaign, issue, clinic, media_base=media_base_url(config))
    except (SubjectError, PlaceholderError) as error:
        raise SendToSelfError(f"The subject cannot be sent: {error}") from error
    email = replace(
        email,
        subject=SUBJECT_PREFIX + email.subject,
        categories=("test-send", campaign.slug[:255]),
        custom_args={"test_send": "1", "campaign_id": str(campaign.id)},
    )
    link = unsubscribe_url(clinic, config["SECRET_KEY"], NO_SUBSCRIBER_ID)
    default = first_name_default(issue.subject or campaign.email_subject)
    try:
        provider_id = channel.send_batch(
            email,
            [
                Recipient(email=member.email, substitutions=recipient_values(link, _first_name(member), default))
                for member in recipients
            ],
        )
    except EmailSendError as error:
        raise SendToSelfError(f"The test email was not sent: {error}") from error
    who = "the sender" if recipients == [user] else f"{len(recipients)} team member(s)"
    audit.record(session, "campaign:test-send", actor=user, campaign=campaign, detail=f"email {position + 1} to {who}")
    return provider_id


def _first_name(user: User) -> str:
    return (user.name or "").split(" ")[0]
