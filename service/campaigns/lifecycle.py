"""The campaign lifecycle: draft -> in review -> approved -> scheduled -> sending -> sent, with paused and cancelled.

Every change is audit-logged. Nothing unapproved can be scheduled, whichever door the request came through, because
every door (web form, CLI, API) calls these functions.
"""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session

from service import audit
from service.campaigns.edits import editors_since_last_approval, record_content_edit
from service.campaigns.schedule import plan_send_times, schedule_of
from service.models import Campaign, Delivery, Message, User


class LifecycleError(ValueError):
    """The action is not allowed in the campaign's current state; the message says why, for a person."""


EDITABLE_STATUSES = ("draft", "in_review", "approved", "scheduled", "paused")
# A check run on submission; returns human-readable reasons the campaign cannot be submitted (empty = fine).
SubmissionCheck = Callable[[Campaign], list[str]]


def _require_status(campaign: Campaign, allowed: tuple[str, ...], action: str) -> None:
    if campaign.status not in allowed:
        raise LifecycleError(f"Cannot {action} a campaign that is {campaign.status.replace('_', ' ')}.")


def _move(session: Session, campaign: Campaign, status: str, actor: User | None, detail: str = "") -> None:
    before = campaign.status
    campaign.status = status
    audit.record(session, f"status:{before}->{status}", actor=actor, campaign=campaign, detail=detail)


def mark_edited(session: Session, campaign: Campaign, actor: User) -> None:
    """An edit sends an approved or scheduled campaign back to draft: what was reviewed is no longer what is sent."""
    _require_status(campaign, EDITABLE_STATUSES, "edit")
    record_content_edit(session, campaign, actor)
    if campaign.status != "draft":
        _drop_unsent_messages(session, campaign)
        _move(session, campaign, "draft", actor, "edited; needs review again")
    else:
        audit.record(session, "edited", actor=actor, campaign=campaign)


def submit_for_review(
    session: Session, campaign: Campaign, actor: User, checks: tuple[SubmissionCheck, ...] = ()
) -> None:
    _require_status(campaign, ("draft",), "submit")
    problems = [problem for check in checks for problem in check(campaign)]
    if problems:
        raise LifecycleError("Fix these before submitting: " + "; ".join(problems))
    if campaign.created_by_id is None and actor is not None:
        # A draft nobody wrote (the blog feed's) is authored by whoever submits it: approval needs an author.
        campaign.created_by_id = actor.id
    _move(session, campaign, "in_review", actor)


def approve(session: Session, campaign: Campaign, reviewer: User, *, allow_self_approval: bool) -> None:
    _require_status(campaign, ("in_review",), "approve")
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
    _move(session, campaign, "approved", reviewer)


def send_back(session: Session, campaign: Campaign, reviewer: User, comment: str) -> None:
    _require_status(campaign, ("in_review",), "send back")
    if not reviewer.can_review():
        raise LifecycleError("Only a reviewer or an admin can send a campaign back.")
    if not comment.strip():
        raise LifecycleError("Say what needs to change when sending a campaign back.")
    _move(session, campaign, "draft", reviewer, comment.strip())


def schedule(session: Session, campaign: Campaign, actor: User | None, *, tz_name: str, now: datetime) -> None:
    """Plan the campaign's messages. Only an approved campaign can be scheduled."""
    _require_status(campaign, ("approved",), "schedule")
    planned = plan_send_times(schedule_of(campaign), len(campaign.snippets), tz_name, now)
    snippets = campaign.snippets
    for send in planned:
        for channel in campaign.channels:
            campaign.messages.append(
                Message(snippet_id=snippets[send.snippet_index].id, channel=channel, send_at=send.send_at)
            )
    _move(session, campaign, "scheduled", actor, f"{len(planned) * len(campaign.channels)} messages planned")


def pause(session: Session, campaign: Campaign, actor: User) -> None:
    """Stop sending after the batch in hand; planned messages wait until resumed."""
    _require_status(campaign, ("scheduled", "sending"), "pause")
    _move(session, campaign, "paused", actor)


def resume(session: Session, campaign: Campaign, actor: User) -> None:
    _require_status(campaign, ("paused",), "resume")
    _move(session, campaign, "scheduled", actor)


def cancel(session: Session, campaign: Campaign, actor: User) -> None:
    _require_status(campaign, ("draft", "in_review", "approved", "scheduled", "sending", "paused"), "cancel")
    for message in campaign.messages:
        if message.status in ("planned", "paused"):
            message.status = "cancelled"
    _move(session, campaign, "cancelled", actor)


def _drop_unsent_messages(session: Session, campaign: Campaign) -> None:
    # A planned message with deliveries was interrupted part-way (a rate limit, a pause): it has started too.
    has_deliveries = exists().where(Delivery.message_id == Message.id)
    started = session.scalars(
        select(Message.id).where(Message.campaign_id == campaign.id, or_(Message.status != "planned", has_deliveries))
    ).all()
    if started:
        raise LifecycleError("This campaign has already started sending; cancel it and make a new one instead.")
    session.execute(delete(Message).where(Message.campaign_id == campaign.id))
    session.expire(campaign, ["messages"])
