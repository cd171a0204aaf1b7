"""What a person's home page shows: their to-dos, the week ahead, the last sends, the list's health, the worker.

Each role sees its own to-dos: the author, campaigns a reviewer sent back (with the comment) and drafts left alone
for two weeks; a reviewer, campaigns waiting for their review (not their own); everyone, what only a person can
settle (an uncertain batch or post, a missed send, a failed message).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from service.campaigns.batches import campaigns_awaiting_a_person
from service.campaigns.guardrails import Thresholds
from service.campaigns.report import EmailFigures, figures_by_message
from service.heartbeat import Liveness, last_seen, worker_alive
from service.models import AuditEntry, Campaign, Message, Subscriber, User
from service.subscribers.listing import status_counts

STALE_DRAFT_AGE = timedelta(days=14)
UPCOMING_WINDOW = timedelta(days=7)
RECENT_SENDS = 5
GROWTH_WINDOW = timedelta(days=30)
SENT_BACK_ACTION = "status:in_review->draft"


@dataclass(frozen=True)
class SentBack:
    campaign: Campaign
    reviewer: str
    comment: str
    at: datetime


@dataclass(frozen=True)
class RecentSend:
    message: Message
    figures: EmailFigures


@dataclass(frozen=True)
class ListHealth:
    confirmed: int
    joined_30_days: int
    left_30_days: int
    unsubscribe_rate: float  # unsubscribes of the last sends / their delivered emails
    complaint_rate: float  # complaints of the last sends / their delivered emails
    thresholds: Thresholds

    @property
    def growth_30_days(self) -> int:
        return self.joined_30_days - self.left_30_days

    @property
    def complaints_warn(self) -> bool:
        return self.complaint_rate > self.thresholds.complaint_warning

    @property
    def complaints_hold(self) -> bool:
        return self.complaint_rate > self.thresholds.complaint_hold


@dataclass(frozen=True)
class Home:
    sent_back: list[SentBack]
    to_review: list[Campaign]
    needs_decision: list[Campaign]
    stale_drafts: list[Campaign]
    upcoming: list[Message]
    recent: list[RecentSend]
    health: ListHealth
    worker_alive: bool
    worker_last_seen: datetime | None

    @property
    def todo_count(self) -> int:
        return len(self.sent_back) + len(self.to_review) + len(self.needs_decision) + len(self.stale_drafts)


def home_for(session: Session, user: User, thresholds: Thresholds, now: datetime, liveness: Liveness) -> Home:
    recent = recent_sends(session)
    return Home(
        sent_back=sent_back_to(session, user),
        to_review=waiting_for_review_by(session, user),
        needs_decision=_campaigns(session, campaigns_awaiting_a_person(session)),
        stale_drafts=stale_drafts_of(session, user, now),
        upcoming=upcoming_messages(session, now),
        recent=recent,
        health=list_health(session, recent, thresholds, now),
        worker_alive=worker_alive(session, now, liveness),
        worker_last_seen=last_seen(session),
    )


def _campaigns(session: Session, ids: set[int]) -> list[Campaign]:
    if not ids:
        return []
    return list(session.scalars(select(Campaign).where(Campaign.id.in_(ids)).order_by(Campaign.name)))


def _mine(user: User):
    # An admin looks after every author's drafts; a marketer after their own.
    return True if user.role == "admin" else Campaign.created_by_id == user.id


def sent_back_to(session: Session, user: User) -> list[SentBack]:
    """Drafts of this author whose last status change was a reviewer sending them back, with the comment."""
    latest = (
        select(AuditEntry.campaign_id, func.max(AuditEntry.id).label("entry_id"))
        .where(AuditEntry.action.like("status:%"))
        .group_by(AuditEntry.campaign_id)
        .subquery()
    )
    rows = session.execute(
        select(Campaign, AuditEntry)
        .join(latest, latest.c.campaign_id == Campaign.id)
        .join(AuditEntry, and_(AuditEntry.id == latest.c.entry_id, AuditEntry.action == SENT_BACK_ACTION))
        .where(Campaign.status == "draft", _mine(user))
        .order_by(AuditEntry.at.desc())
    ).all()
    return [SentBack(campaign, entry.actor_label, entry.detail, entry.at) for campaign, entry in rows]


def waiting_for_review_by(session: Session, user: User) -> list[Campaign]:
    if not user.can_review():
        return []
    return list(
        session.scalars(
            select(Campaign)
            .where(Campaign.status == "in_review", Campaign.created_by_id.is_distinct_from(user.id))
            .order_by(Campaign.updated_at)
        )
    )


def stale_drafts_of(session: Session, user: User, now: datetime) -> list[Campaign]:
    if user.role == "reviewer":
        return []
    return list(
        session.scalars(
            select(Campaign)
            .where(Campaign.status == "draft", Campaign.updated_at < now - STALE_DRAFT_AGE, _mine(user))
            .order_by(Campaign.updated_at)
        )
    )


def upcoming_messages(session: Session, now: datetime) -> list[Message]:
    return list(
        session.scalars(
            select(Message)
            .where(Message.status == "planned", Message.send_at >= now, Message.send_at < now + UPCOMING_WINDOW)
            .order_by(Message.send_at, Message.id)
        )
    )


def recent_sends(session: Session) -> list[RecentSend]:
    messages = list(
        session.scalars(
            select(Message)
            .where(Message.channel == "email", Message.status == "sent")
            .order_by(Message.finished_at.desc(), Message.id.desc())
            .limit(RECENT_SENDS)
        )
    )
    figures = figures_by_message(session, messages)
    return [RecentSend(message, figures[message.id]) for message in messages]


def list_health(session: Session, recent: list[RecentSend], thresholds: Thresholds, now: datetime) -> ListHealth:
    since = now - GROWTH_WINDOW
    # The confirmed are kept counted; the last 30 days' comings and goings are ranges of their indexed instants.
    confirmed = status_counts(session)["confirmed"]
    joined = session.scalar(select(func.count()).where(Subscriber.confirmed_at >= since))
    left = session.scalar(select(func.count()).where(Subscriber.unsubscribed_at >= since))
    totals = sum((send.figures for send in recent), EmailFigures())
    delivered = totals.delivered
    return ListHealth(
        confirmed=confirmed,
        joined_30_days=int(joined or 0),
        left_30_days=int(left or 0),
        unsubscribe_rate=totals.unsubscribes / delivered if delivered else 0.0,
        complaint_rate=totals.complaint_rate,
        thresholds=thresholds,
    )
