"""All models, importable from one place (and all registered on the metadata for Alembic)."""

from service.models.campaigns import AuditEntry, Campaign, CampaignSnippet, Delivery, Message, SendBatch
from service.models.claims_library import ClaimEvidence, FindingLink, LibraryClaim, LibraryClaimVersion
from service.models.content import Article, Snippet
from service.models.email_events import EmailEvent
from service.models.email_templates import EmailTemplate
from service.models.reviews import FindingAcceptance
from service.models.subscribers import Subscriber, SubscriberTopic, Suppression
from service.models.users import User
from service.models.worker_lease import WorkerLease
from service.models.worker_state import WorkerHeartbeat

__all__ = [
    "Article",
    "AuditEntry",
    "Campaign",
    "CampaignSnippet",
    "ClaimEvidence",
    "Delivery",
    "EmailEvent",
    "EmailTemplate",
    "FindingAcceptance",
    "FindingLink",
    "LibraryClaim",
    "LibraryClaimVersion",
    "Message",
    "SendBatch",
    "Snippet",
    "Subscriber",
    "SubscriberTopic",
    "Suppression",
    "User",
    "WorkerHeartbeat",
    "WorkerLease",
]
