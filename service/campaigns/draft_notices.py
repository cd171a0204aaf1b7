"""Telling the marketers that the blog feed made a draft: one email per draft, to every active marketer.

A notice is claimed (notified_at set and committed) before it is sent, so two workers never both send it; one the
channel could not send is released and tried again at the next feed check. A lost notice costs nothing: the draft
is listed on the feed page and the campaign list whatever becomes of the email.
"""

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.channels.email.base import EmailChannel, EmailSendError, Recipient
from service.models import FeedEntry, User
from service.outgoing.staff import new_feed_draft_email
from service.rendering.clinic import ClinicInfo


def send_new_draft_notices(session: Session, channel: EmailChannel, config: Mapping, now: datetime) -> list[str]:
    """Send the notices not sent yet; commits. Returns, for a person, why any could not be sent (empty: all sent)."""
    marketers = session.scalars(select(User).where(User.role == "marketer", User.active.is_(True))).all()
    if not marketers:
        return []
    recipients = [Recipient(email=user.email) for user in marketers]
    clinic = ClinicInfo.from_config(config)
    problems: list[str] = []
    pending = session.scalars(
        select(FeedEntry.id).where(FeedEntry.campaign_id.is_not(None), FeedEntry.notified_at.is_(None))
    ).all()
    for entry_id in pending:
        if not _claim(session, entry_id, now):
            continue  # another worker took it
        entry = session.get(FeedEntry, entry_id)
        email = new_feed_draft_email(
            entry.campaign, entry.article, clinic, f"{clinic.public_base_url}/campaigns/{entry.campaign_id}"
        )
        try:
            channel.send_batch(email, recipients)
        except EmailSendError as error:
            session.execute(update(FeedEntry).where(FeedEntry.id == entry_id).values(notified_at=None))
            session.commit()
            problems.append(
                f"The email to the marketers about “{entry.title}” was not sent ({error}); "
                "it is tried again at the next check."
            )
    return problems


def _claim(session: Session, entry_id: int, now: datetime) -> bool:
    claimed = session.execute(
        update(FeedEntry)
        .where(FeedEntry.id == entry_id, FeedEntry.notified_at.is_(None))
        .values(notified_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return claimed == 1
