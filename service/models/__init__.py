"""All models, importable from one place (and all registered on the metadata for Alembic)."""

from service.models.campaigns import AuditEntry, Campaign, CampaignEdit, Delivery, Message, SendBatch
from service.models.claims_library import ClaimEvidence, FindingLink, LibraryClaim, LibraryClaimVersion
from service.models.composer import EmailIssue, Section
from service.models.content import Article, Snippet
from service.models.email_events import EmailEvent, MessageEventCount
from service.models.email_templates import EmailTemplate
from service.models.feed import FeedCheck, FeedEntry, FeedRecipe
from service.models.imports import ImportJob
from service.models.media import Media
from service.models.message_links import MessageLink
from service.models.post_metrics import PostMetrics
from service.models.posts import PostDraft
from service.models.reviews import FindingAcceptance, ReviewComment
from service.models.send_holds import SendHold
from service.models.subscribers import (
    AudienceCount,
    GrowthCount,
    Subscriber,
    SubscriberStatusCount,
    SubscriberTopic,
    Suppression,
)
from service.models.users import RecoveryCode, User
from service.models.worker_lease import WorkerLease
from service.models.worker_state import WorkerHeartbeat

__all__ = [
    "Article",
    "AudienceCount",
    "AuditEntry",
    "Campaign",
    "EmailIssue",
    "CampaignEdit",
    "ClaimEvidence",
    "Delivery",
    "EmailEvent",
    "EmailTemplate",
    "FeedCheck",
    "FeedEntry",
    "FeedRecipe",
    "FindingAcceptance",
    "GrowthCount",
    "Media",
    "ImportJob",
    "FindingLink",
    "LibraryClaim",
    "LibraryClaimVersion",
    "Message",
    "MessageEventCount",
    "MessageLink",
    "Section",
    "PostDraft",
    "PostMetrics",
    "RecoveryCode",
    "ReviewComment",
    "SendBatch",
    "SendHold",
    "Snippet",
    "Subscriber",
    "SubscriberStatusCount",
    "SubscriberTopic",
    "Suppression",
    "User",
    "WorkerHeartbeat",
    "WorkerLease",
]
