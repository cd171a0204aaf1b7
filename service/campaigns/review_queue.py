"""The review queue: campaigns waiting for a reviewer, the longest waiting first, with who wrote them."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.compliance.review import review_campaign
from service.models import AuditEntry, Campaign, User
from service.models.statuses import CampaignStatus

SUBMITTED = "status:draft->in_review"


@dataclass(frozen=True)
class Waiting:
    campaign: Campaign
    author: User | None
    submitted_at: datetime | None
    findings: int  # the claims check's findings on what the campaign sends now


def review_queue(session: Session, config: Mapping) -> list[Waiting]:
    submitted = (
        select(AuditEntry.campaign_id, func.max(AuditEntry.at).label("at"))
        .where(AuditEntry.action == SUBMITTED)
        .group_by(AuditEntry.campaign_id)
        .subquery()
    )
    rows = session.execute(
        select(Campaign, User, submitted.c.at)
        .outerjoin(submitted, submitted.c.campaign_id == Campaign.id)
        .outerjoin(User, User.id == Campaign.created_by_id)
        .where(Campaign.status == CampaignStatus.IN_REVIEW)
        .order_by(submitted.c.at, Campaign.id)
    ).all()
    return [
        Waiting(campaign, author, at, len(review_campaign(campaign, config).findings)) for campaign, author, at in rows
    ]
