"""A person's steps on a campaign from the command line, acting as a named account (`--as EMAIL`):
`flask campaigns submit|approve|schedule|pause|resume|cancel ID --as EMAIL` and
`flask campaigns resend|mark-delivered ID BATCH --as EMAIL`.

Each calls the same domain function as the web button, so the same rules hold and the same audit entries are written
(with the named account as the actor).
"""

from collections.abc import Callable
from datetime import UTC, datetime

import click
from flask import current_app

from service import audit
from service.accounts.login import account_for
from service.campaigns import lifecycle
from service.campaigns.batches import BatchDecisionError, mark_delivered, request_resend
from service.campaigns.lifecycle import LifecycleError
from service.campaigns.review_notices import notify_review_step
from service.campaigns.schedule import ScheduleError
from service.channels.registry import email_channel_for_request
from service.commands.campaigns import group
from service.compliance.review import approve_as_seen, review_campaign, submission_check
from service.extensions import db
from service.models import Campaign, User

as_option = click.option(
    "--as", "as_email", required=True, metavar="EMAIL", help="The staff account taking the step (audit-logged as them)."
)


def _actor(email: str) -> User:
    user = account_for(db.session, email)
    if user is None or not user.is_active:
        raise click.ClickException("No active account has that email.")
    return user


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.ClickException(f"There is no campaign {campaign_id}.")
    return campaign


def _take(campaign_id: int, email: str, step: Callable[[Campaign, User], None]) -> Campaign:
    """Run the step in one transaction: refused, nothing changes and the reason is printed (exit status 1)."""
    actor = _actor(email)
    campaign = _campaign(campaign_id)
    try:
        step(campaign, actor)
    except (LifecycleError, ScheduleError, BatchDecisionError) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    return campaign


def _approve(campaign: Campaign, reviewer: User) -> None:
    # The operator approves the campaign as it is now: the content they could have read is the current content.
    config = current_app.config
    seen_hash = review_campaign(campaign, config).content_hash
    approve_as_seen(
        db.session,
        campaign,
        reviewer,
        config,
        seen_hash=seen_hash,
        allow_self_approval=config["ALLOW_SELF_APPROVAL"],
    )
    if campaign.created_by_id == reviewer.id:
        audit.record(db.session, "approval:self", actor=reviewer, campaign=campaign, detail="ALLOW_SELF_APPROVAL is on")


def _now() -> datetime:
    return datetime.now(UTC)


STEPS: dict[str, tuple[str, Callable[[Campaign, User], None]]] = {
    "submit": (
        "Submit a draft for review (the same checks as the web).",
        lambda c, u: lifecycle.submit_for_review(
            db.session, c, u, checks=(submission_check(db.session, current_app.config),)
        ),
    ),
    "approve": ("Approve a campaign in review, as it is now (reviewers and admins).", _approve),
    "schedule": (
        "Plan the messages of an approved campaign.",
        lambda c, u: lifecycle.schedule(db.session, c, u, tz_name=current_app.config["CLINIC_TIMEZONE"], now=_now()),
    ),
    "pause": ("Pause a scheduled or sending campaign.", lambda c, u: lifecycle.pause(db.session, c, u)),
    "resume": ("Resume a paused campaign.", lambda c, u: lifecycle.resume(db.session, c, u)),
    "cancel": (
        "Cancel a campaign; its unsent messages are never sent.",
        lambda c, u: lifecycle.cancel(db.session, c, u),
    ),
}


def _status_command(name: str, help_text: str, step: Callable[[Campaign, User], None]) -> None:
    @group.command(name, help=help_text)
    @click.argument("campaign_id", type=int)
    @as_option
    def command(campaign_id: int, as_email: str) -> None:
        campaign = _take(campaign_id, as_email, step)
        config = current_app.config
        actor = _actor(as_email)
        for problem in notify_review_step(db.session, email_channel_for_request(config), config, name, campaign, actor):
            click.echo(problem, err=True)
        click.echo(f"Campaign {campaign.id} is now {campaign.status.replace('_', ' ')}.")


for _name, (_help, _step) in STEPS.items():
    _status_command(_name, _help, _step)


@group.command("resend")
@click.argument("campaign_id", type=int)
@click.argument("batch_id", type=int)
@as_option
def resend_command(campaign_id: int, batch_id: int, as_email: str) -> None:
    """Queue an uncertain email batch to be sent again at the worker's next poll."""
    _take(campaign_id, as_email, lambda c, u: request_resend(db.session, c, batch_id, u, _now()))
    click.echo(f"Batch {batch_id} goes out again at the worker's next poll.")


@group.command("mark-delivered")
@click.argument("campaign_id", type=int)
@click.argument("batch_id", type=int)
@as_option
def mark_delivered_command(campaign_id: int, batch_id: int, as_email: str) -> None:
    """Record an uncertain email batch as delivered: its recipients never get this email again."""
    _take(campaign_id, as_email, lambda c, u: mark_delivered(db.session, c, batch_id, u, _now()))
    click.echo(f"Batch {batch_id} is recorded as delivered.")
