"""The reviewer's send-back comment, shown on the campaign and review pages until the author resubmits.

It is read from the audit log (where the send-back is recorded with its comment), so there is one record of it.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import AuditEntry, Campaign
from service.models.statuses import CampaignStatus

SENT_BACK = "status:in_review->draft"
SUBMITTED = "status:draft->in_review"


def open_send_back(session: Session, campaign: Campaign) -> AuditEntry | None:
    """The last send-back of a draft not resubmitted since (its `detail` is the comment), else None."""
    if campaign.id is None or campaign.status != CampaignStatus.DRAFT:
        return None
    last = session.scalar(
        select(AuditEntry)
        .where(AuditEntry.campaign_id == campaign.id, AuditEntry.action.in_((SENT_BACK, SUBMITTED)))
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    return last if last is not None and last.action == SENT_BACK else None
