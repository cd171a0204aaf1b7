"""The audit log: every status change and decision, with who and when (every package writes to it)."""

from sqlalchemy.orm import Session

from service.models import AuditEntry, Campaign, User


def record(
    session: Session, action: str, *, actor: User | None = None, campaign: Campaign | None = None, detail: str = ""
) -> AuditEntry:
    entry = AuditEntry(
        action=action,
        actor_id=actor.id if actor else None,
        actor_label=actor.name if actor else "system",
        campaign_id=campaign.id if campaign else None,
        detail=detail,
    )
    session.add(entry)
    return entry
