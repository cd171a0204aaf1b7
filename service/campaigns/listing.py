"""The campaign list: search by name, filter by status, channel and author, sort, pages; and archiving."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from service import audit
from service.models import Campaign, Message, User
from service.models.statuses import CampaignStatus, MessageStatus
from service.subscribers.search import like_pattern

PAGE_SIZE = 25
SORTS = {"changed": "Last change", "next_send": "Next send"}
CHANNELS = {"email": "Email", "x": "X"}
# Archiving hides a campaign from the list; one still sending (or due to) must stay in sight.
ARCHIVABLE_STATUSES = frozenset({CampaignStatus.DRAFT, CampaignStatus.SENT, CampaignStatus.CANCELLED})


class ArchiveError(ValueError):
    """The campaign cannot be archived now; the message says why."""


@dataclass(frozen=True)
class CampaignFilter:
    text: str = ""
    status: str = ""
    channel: str = ""
    author_id: int | None = None
    sort: str = "changed"
    archived: bool = False
    page: int = 1


@dataclass(frozen=True)
class CampaignPage:
    campaigns: list[Campaign]
    page: int
    pages: int
    total: int


def campaign_page(session: Session, wanted: CampaignFilter, size: int = PAGE_SIZE) -> CampaignPage:
    query = select(Campaign).where(
        Campaign.archived_at.is_not(None) if wanted.archived else Campaign.archived_at.is_(None)
    )
    if wanted.text.strip():
        query = query.where(Campaign.name.ilike(like_pattern(wanted.text.strip()), escape="\\"))
    if wanted.status in tuple(CampaignStatus):
        query = query.where(Campaign.status == wanted.status)
    if wanted.channel == "email":
        query = query.where(Campaign.send_email.is_(True))
    elif wanted.channel == "x":
        query = query.where(Campaign.send_post.is_(True))
    if wanted.author_id:
        query = query.where(Campaign.created_by_id == wanted.author_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if wanted.sort == "next_send":
        next_send = (
            select(Message.campaign_id, func.min(Message.send_at).label("next_at"))
            .where(Message.status == MessageStatus.PLANNED)
            .group_by(Message.campaign_id)
            .subquery()
        )
        # Campaigns with a send coming first, soonest first; the rest by last change.
        query = query.outerjoin(next_send, next_send.c.campaign_id == Campaign.id).order_by(
            next_send.c.next_at.is_(None), next_send.c.next_at, Campaign.updated_at.desc()
        )
    else:
        query = query.order_by(Campaign.updated_at.desc(), Campaign.id.desc())
    pages = max(1, -(-total // size))
    page = min(max(wanted.page, 1), pages)
    campaigns = session.scalars(
        query.options(selectinload(Campaign.messages)).offset((page - 1) * size).limit(size)
    ).all()
    return CampaignPage(list(campaigns), page, pages, total)


def authors(session: Session) -> list[User]:
    """People who wrote at least one campaign, for the author filter."""
    return list(session.scalars(select(User).where(User.id.in_(select(Campaign.created_by_id))).order_by(User.name)))


def archive_campaign(session: Session, campaign: Campaign, actor: User, now: datetime) -> None:
    if campaign.status not in ARCHIVABLE_STATUSES:
        raise ArchiveError("Only a draft, sent or cancelled campaign can be archived; pause or cancel it first.")
    campaign.archived_at = now
    audit.record(session, "archived", actor=actor, campaign=campaign)


def unarchive_campaign(session: Session, campaign: Campaign, actor: User) -> None:
    campaign.archived_at = None
    audit.record(session, "unarchived", actor=actor, campaign=campaign)
