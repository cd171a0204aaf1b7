"""Who changed what a campaign sends. Four eyes: nobody approves content they wrote or edited since the campaign's
last approval. Every path that changes a campaign's content (creating it, the campaign form, a snippet's words)
records the change here, through `record_content_edit` alone."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import AuditEntry, Campaign, CampaignEdit, User
from service.models.base import utcnow

APPROVED = "status:in_review->approved"


def record_content_edit(session: Session, campaign: Campaign, user: User | None) -> None:
    session.add(CampaignEdit(campaign_id=campaign.id, user_id=user.id if user else None, at=utcnow()))


def editors_since_last_approval(session: Session, campaign: Campaign) -> set[int]:
    """The ids of everyone who changed the campaign's content after it was last approved (or ever, if never)."""
    approved_at = session.scalar(
        select(AuditEntry.at)
        .where(AuditEntry.campaign_id == campaign.id, AuditEntry.action == APPROVED)
        .order_by(AuditEntry.at.desc())
        .limit(1)
    )
    query = select(CampaignEdit.user_id).where(
        CampaignEdit.campaign_id == campaign.id, CampaignEdit.user_id.is_not(None)
    )
    if approved_at is not None:
        query = query.where(CampaignEdit.at > approved_at)
    return set(session.scalars(query))
