"""The campaign lifecycle: draft -> in review -> approved -> scheduled -> sending -> sent, with paused and cancelled.

Every change is audit-logged. Nothing unapproved can be scheduled, whichever door the request came through, because
every door (web form, CLI, API) calls these functions.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, exists, or_, select, update
from sqlalchemy.orm import Session

from service import audit
from service.campaigns.edits import editors_since_last_approval, record_content_edit
from service.campaigns.messages import move_message
from service.campaigns.schedule import plan_send_times, schedule_of
from service.composer.snapshot import content_snapshot
from service.models import Campaign, Delivery, Message, User
from service.models.statuses import CampaignStatus, MessageStatus


class LifecycleError(ValueError):
    """The action is not allowed in the campaign's current state; the message says why, for a person."""


S = CampaignStatus
# Every change of a campaign's status there may be: the people's actions below, and the worker's and recovery's
# moves (scheduled -> sending -> scheduled | sent; a finished campaign reopened for a resend, sent -> scheduled).
TRANSITIONS: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    S.DRAFT: frozenset({S.IN_REVIEW, S.CANCELLED}),
    S.IN_REVIEW: frozenset({S.APPROVED, S.DRAFT, S.CANCELLED}),
    S.APPROVED: frozenset({S.SCHEDULED, S.DRAFT, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.SENDING, S.SENT, S.PAUSED, S.DRAFT, S.CANCELLED}),
    S.SENDING: frozenset({S.SCHEDULED, S.SENT, S.PAUSED, S.CANCELLED}),
    S.PAUSED: frozenset({S.SCHEDULED, S.DRAFT, S.CANCELLED}),
    S.SENT: frozenset({S.SCHEDULED}),
    S.CANCELLED: frozenset(),
}


@dataclass(frozen=True)
class Action:
    """What a person can do to a campaign: from which statuses, and to which status it leads."""

    verb: str  # for the error message: "Cannot <verb> a campaign that is ..."
    allowed_from: frozenset[CampaignStatus]
    leads_to: CampaignStatus


# An edit of an approved or scheduled campaign returns it to draft (a draft stays a draft).
EDITABLE_STATUSES = frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED, S.SCHEDULED, S.PAUSED})
ACTIONS: dict[str, Action] = {
    "edit": Action("edit", EDITABLE_STATUSES, S.DRAFT),
    "submit": Action("submit", frozenset({S.DRAFT}), S.IN_REVIEW),
    "approve": Action("approve", frozenset({S.IN_REVIEW}), S.APPROVED),
    "send-back": Action("send back", frozenset({S.IN_REVIEW}), S.DRAFT),
    "schedule": Action("schedule", frozenset({S.APPROVED}), S.SCHEDULED),
    "pause": Action("pause", frozenset({S.SCHEDULED, S.SENDING}), S.PAUSED),
    "resume": Action("resume", frozenset({S.PAUSED}), S.SCHEDULED),
    "cancel": Action(
        "cancel", frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED, S.SCHEDULED, S.SENDING, S.PAUSED}), S.CANCELLED
    ),
}
# A check run on submission; returns human-readable reasons the campaign cannot be submitted (empty = fine).
SubmissionCheck = Callable[[Campaign], list[str]]


def allowed_actions(campaign: Campaign) -> frozenset[str]:
    """The actions the campaign's status allows now (who may take them is the caller's to check: roles)."""
    return frozenset(name for name, action in ACTIONS.items() if campaign.status in action.allowed_from)


def _require_action(campaign: Campaign, name: str) -> None:
    if name not in allowed_actions(campaign):
        raise LifecycleError(f"Cannot {ACTIONS[name].verb} a campaign that is {campaign.status.replace('_', ' ')}.")


def transition(
    session: Session, campaign: Campaign, status: CampaignStatus, actor: User | None, detail: str = ""
) -> None:
    """The one way a campaign's status changes: audit-logged, and refused (LifecycleError, nothing changed) when
    `TRANSITIONS` does not allow it."""
    before = CampaignStatus(campaign.status)
    if status not in TRANSITIONS[before]:
        raise LifecycleError(f"A campaign that is {before.replace('_', ' ')} cannot become {status.replace('_', ' ')}.")
    campaign.status = status
    audit.record(session, f"status:{before}->{status}", actor=actor, campaign=campaign, detail=detail)


def transition_if(
    session: Session,
    campaign: Campaign,
    expected: CampaignStatus,
    status: CampaignStatus,
    condition: ColumnElement[bool],
) -> bool:
    """`transition` as one compare-and-set UPDATE by the worker: only if the campaign is still `expected` and
    `condition` holds at that moment (another session may change either meanwhile). True if it changed."""
    if status not in TRANSITIONS[expected]:
        raise LifecycleError(f"A campaign that is {expected} cannot become {status}.")
    changed = session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.status == expected, condition)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount == 1:
        audit.record(session, f"status:{expected}->{status}", campaign=campaign)
    session.refresh(campaign, ["status"])
    return changed.rowcount == 1


def mark_edited(session: Session, campaign: Campaign, actor: User) -> None:
    """An edit sends an approved or scheduled campaign back to draft: what was reviewed is no longer what is sent."""
    _require_action(campaign, "edit")
    record_content_edit(session, campaign, actor)
    if campaign.status != S.DRAFT:
        _drop_unsent_messages(session, campaign)
        transition(session, campaign, S.DRAFT, actor, "edited; needs review again")
    else:
        audit.record(session, "edited", actor=actor, campaign=campaign)


def submit_for_review(
    session: Session, campaign: Campaign, actor: User, checks: tuple[SubmissionCheck, ...] = ()
) -> None:
    _require_action(campaign, "submit")
    problems = [problem for check in checks for problem in check(campaign)]
    if problems:
        raise LifecycleError("Fix these before submitting: " + "; ".join(problems))
    if campaign.created_by_id is None and actor is not None:
        # A draft nobody wrote (the blog feed's) is authored by whoever submits it: approval needs an author.
        campaign.created_by_id = actor.id
    transition(session, campaign, S.IN_REVIEW, actor)


def approve(session: Session, campaign: Campaign, reviewer: User, *, allow_self_approval: bool) -> None:
    _require_action(campaign, "approve")
    if not reviewer.can_review():
        raise LifecycleError("Only a reviewer or an admin can approve a campaign.")
    if campaign.created_by_id is None:
        # Approval is by someone who wrote none of it; with no author on record nobody can be shown to be that.
        raise LifecycleError("This campaign has no author on record, so its approval cannot be checked; it is refused.")
    if not allow_self_approval:
        if campaign.created_by_id == reviewer.id:
            raise LifecycleError("You wrote this campaign; another reviewer must approve it.")
        if reviewer.id in editors_since_last_approval(session, campaign):
            raise LifecycleError("You edited this campaign since its last approval; another reviewer must approve it.")
    campaign.approved_by_id = reviewer.id
    campaign.approved_content = content_snapshot(campaign)
    transition(session, campaign, S.APPROVED, reviewer)


def send_back(session: Session, campaign: Campaign, reviewer: User, comment: str) -> None:
    _require_action(campaign, "send-back")
    if not reviewer.can_review():
        raise LifecycleError("Only a reviewer or an admin can send a campaign back.")
    if not comment.strip():
        raise LifecycleError("Say what needs to change when sending a campaign back.")
    transition(session, campaign, S.DRAFT, reviewer, comment.strip())


def schedule(session: Session, campaign: Campaign, actor: User | None, *, tz_name: str, now: datetime) -> None:
    """Plan the campaign's messages. Only an approved campaign can be scheduled."""
    _require_action(campaign, "schedule")
    # One send per issue (a one-off has one issue; a drip or weekly campaign one per step): the issue's email, and a
    # post on X for each of its sections.
    planned = plan_send_times(schedule_of(campaign), len(campaign.issues), tz_name, now)
    issues = campaign.issues
    for send in planned:
        issue = issues[send.snippet_index]
        if campaign.send_email:
            campaign.messages.append(Message(issue_id=issue.id, channel="email", send_at=send.send_at))
        if campaign.send_post:
            for section in issue.sections:
                campaign.messages.append(
                    Message(issue_id=issue.id, section_id=section.id, channel="x", send_at=send.send_at)
                )
    transition(session, campaign, S.SCHEDULED, actor, f"{len(campaign.messages)} messages planned")


def pause(session: Session, campaign: Campaign, actor: User) -> None:
    """Stop sending after the batch in hand; planned messages wait until resumed."""
    _require_action(campaign, "pause")
    transition(session, campaign, S.PAUSED, actor)


def resume(session: Session, campaign: Campaign, actor: User) -> None:
    _require_action(campaign, "resume")
    transition(session, campaign, S.SCHEDULED, actor)


def cancel(session: Session, campaign: Campaign, actor: User) -> None:
    _require_action(campaign, "cancel")
    for message in campaign.messages:
        if message.status in (MessageStatus.PLANNED, MessageStatus.PAUSED):
            move_message(message, MessageStatus.CANCELLED)
    transition(session, campaign, S.CANCELLED, actor)


def _drop_unsent_messages(session: Session, campaign: Campaign) -> None:
    # A planned message with deliveries was interrupted part-way (a rate limit, a pause): it has started too.
    has_deliveries = exists().where(Delivery.message_id == Message.id)
    started = session.scalars(
        select(Message.id).where(
            Message.campaign_id == campaign.id, or_(Message.status != MessageStatus.PLANNED, has_deliveries)
        )
    ).all()
    if started:
        raise LifecycleError("This campaign has already started sending; cancel it and make a new one instead.")
    session.execute(delete(Message).where(Message.campaign_id == campaign.id))
    session.expire(campaign, ["messages"])
