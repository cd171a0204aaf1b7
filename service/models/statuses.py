"""The statuses a campaign, a message, an email batch and a delivery can have, one StrEnum each.

Each kind has one owner, the only module that changes it, through one function that refuses a transition not
allowed: campaigns in service/campaigns/lifecycle.py (`transition`), messages in service/campaigns/messages.py
(`move_message`), batches and deliveries in service/send_ledger.py. The database refuses any other value (CHECK
constraints, see `status_check`). A StrEnum member is its string, so queries and templates compare as before.
"""

from enum import StrEnum

from sqlalchemy import CheckConstraint


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    PAUSED = "paused"
    CANCELLED = "cancelled"


class MessageStatus(StrEnum):
    PLANNED = "planned"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    MISSED = "missed"
    CANCELLED = "cancelled"
    PAUSED = "paused"
    UNCERTAIN = "uncertain"  # a person decides: an email batch or a post part may or may not have gone out


class BatchStatus(StrEnum):
    IN_FLIGHT = "in_flight"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"  # its request may or may not have reached the provider: a person decides
    RESEND = "resend"  # a person asked: the worker sends it before the message's next new batch
    CANCELLED = "cancelled"  # handed over ahead of its send time, then cancelled at SendGrid for good


class DeliveryStatus(StrEnum):
    """One recipient of an email batch, or one part of a post/thread on X."""

    PENDING = "pending"  # a post part refused before posting (a rate limit): posted next time
    IN_FLIGHT = "in_flight"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"
    RESEND = "resend"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"  # its batch was cancelled at SendGrid before its send time
    # What SendGrid's events say after an email was sent (they only move it forward).
    DEFERRED = "deferred"
    DELIVERED = "delivered"
    BLOCKED = "blocked"
    BOUNCED = "bounced"
    DROPPED = "dropped"


def status_check(statuses: type[StrEnum]) -> CheckConstraint:
    """The CHECK constraint allowing exactly these statuses in a table's status column (the migrations add it)."""
    allowed = ", ".join(f"'{status.value}'" for status in statuses)
    return CheckConstraint(f"status IN ({allowed})", name="status")  # ck_<table>_status, by the naming convention
