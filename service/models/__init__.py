"""All models, importable from one place (and all registered on the metadata for Alembic)."""

from service.models.campaigns import AuditEntry, Campaign, CampaignEdit, CampaignSnippet, Delivery, Message, SendBatch
from service.models.content import Article, Snippet
from service.models.email_events import EmailEvent
from service.models.email_templates import EmailTemplate
from service.models.feed import FeedCheck, FeedEntry, FeedRecipe
from service.models.reviews import FindingAcceptance
from service.models.subscribers import Subscriber, SubscriberTopic, Suppression
from service.models.users import RecoveryCode, User
from service.models.worker_lease import WorkerLease
from service.models.worker_state import WorkerHeartbeat

__all__ = [
    "Article",
    "AuditEntry",
    "Campaign",
    "CampaignEdit",
    "CampaignSnippet",
    "Delivery",
    "EmailEvent",
    "EmailTemplate",
    "FeedCheck",
    "FeedEntry",
    "FeedRecipe",
    "FindingAcceptance",
    "Message",
    "RecoveryCode",
    "SendBatch",
    "Snippet",
    "Subscriber",
    "SubscriberTopic",
    "Suppression",
    "User",
    "WorkerHeartbeat",
    "WorkerLease",
]
