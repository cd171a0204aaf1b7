"""Telling staff about the review loop by email: the reviewers when a campaign is submitted, the author when it is
sent back (with the comment) or approved. Never to subscribers; nobody is told of their own step; anyone can turn
these emails off (User.review_emails).

Sent after the step is committed: a note the channel could not send costs nothing (the queue and the campaign page
show the same), so it is reported to the person, not retried.
"""

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.channels.email.base import EmailChannel, EmailSendError, Recipient
from service.models import Campaign, User
from service.outgoing.staff import review_notice_email
from service.rendering.clinic import ClinicInfo

# The lifecycle step (as the web and CLI name it) -> the event the email tells of.
EVENT_OF_STEP = {"submit": "submitted", "send-back": "sent-back", "approve": "approved"}


def recipients_for(session: Session, event: str, campaign: Campaign, actor: User) -> list[User]:
    if event == "submitted":
        people = session.scalars(
            select(User).where(User.role.in_(("reviewer", "admin")), User.active.is_(True)).order_by(User.id)
        ).all()
    else:
        author = session.get(User, campaign.created_by_id) if campaign.created_by_id else None
        people = [author] if author is not None and author.active else []
    return [person for person in people if person.review_emails and person.id != actor.id]


def notify_review_step(
    session: Session,
    channel: EmailChannel,
    config: Mapping,
    step: str,
    campaign: Campaign,
    actor: User,
    comment: str = "",
) -> list[str]:
    """Send the note for a lifecycle step (no note for steps outside the review loop). Returns, for a person,
    why a note could not be sent (empty: all sent)."""
    event = EVENT_OF_STEP.get(step)
    if event is None:
        return []
    people = recipients_for(session, event, campaign, actor)
    if not people:
        return []
    clinic = ClinicInfo.from_config(config)
    email = review_notice_email(
        event, campaign, actor, clinic, f"{clinic.public_base_url}/campaigns/{campaign.id}", comment.strip()
    )
    try:
        channel.send_batch(email, [Recipient(email=person.email) for person in people])
    except EmailSendError as error:
        return [f"The email about this step was not sent ({error})."]
    return []
