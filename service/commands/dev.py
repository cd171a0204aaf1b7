"""`flask dev seed`: what `make run` needs on a fresh clone. Refuses to run in production.

Creates development accounts (printing how to log in), loads the sample campaigns from `campaigns/`, adds a few
demo subscribers at example.org and the shipped claims-library entries, and puts the sample marked `demo: true`
through review and onto the schedule a couple of minutes from now, so the worker has something to send into the
outbox. Safe to run again.
"""

from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from service.campaigns import lifecycle
from service.campaigns.files import campaign_files, split_front_matter
from service.commands.campaigns import load_paths
from service.commands.users import ensure_user
from service.compliance.library import seed_library
from service.compliance.review import submission_check
from service.extensions import db
from service.models import Campaign, Subscriber, SubscriberTopic
from service.settings import REPO_ROOT
from service.subscribers.identity import email_hash
from service.timezones import utc_to_local

group = AppGroup("dev", help="Development helpers.")

DEV_ACCOUNTS = (
    ("admin@example.org", "Ada Admin", "admin", "tidings-admin"),
    ("marketer@example.org", "Mara Marketer", "marketer", "tidings-marketer"),
    ("reviewer@example.org", "Rey Reviewer", "reviewer", "tidings-reviewer"),
)
DEMO_SUBSCRIBERS = (("ana@example.org", "Ana"), ("ben@example.org", "Ben"), ("cruz@example.org", ""))


def _ensure_accounts() -> dict:
    users = {}
    for email, name, role, password in DEV_ACCOUNTS:
        users[role], _ = ensure_user(email, name, role, password, reset_password=True)
    db.session.flush()
    return users


def _ensure_demo_subscribers() -> None:
    now = datetime.now(UTC)
    for email, first_name in DEMO_SUBSCRIBERS:
        if db.session.scalar(select(Subscriber).where(Subscriber.email == email)):
            continue
        subscriber = Subscriber(
            email=email,
            email_hash=email_hash(email, current_app.config["EMAIL_HASH_KEY"]),
            first_name=first_name,
            status="confirmed",
            consent_at=now,
            consent_source="dev-seed",
            confirmed_at=now,
        )
        subscriber.topic_links = [SubscriberTopic(topic=t) for t in current_app.config["SUBSCRIBER_TOPICS"]]
        db.session.add(subscriber)


def _schedule_demo(campaign: Campaign, author, reviewer) -> None:
    """Review and schedule the demo sample two minutes from now (only while it is still an untouched draft)."""
    if campaign.status != "draft" or campaign.messages:
        return
    now = datetime.now(UTC)
    local = utc_to_local(now + timedelta(minutes=2), current_app.config["CLINIC_TIMEZONE"])
    campaign.schedule_kind, campaign.start_date = "once", local.date()
    campaign.send_time = local.time().replace(second=0, microsecond=0)
    campaign.created_by_id = author.id
    check = submission_check(db.session, current_app.config)
    try:
        lifecycle.submit_for_review(db.session, campaign, author, checks=(check,))
    except lifecycle.LifecycleError as error:
        click.echo(f"The demo campaign stays a draft: {error}", err=True)
        return
    lifecycle.approve(db.session, campaign, reviewer, allow_self_approval=False)
    lifecycle.schedule(db.session, campaign, reviewer, tz_name=current_app.config["CLINIC_TIMEZONE"], now=now)


@group.command("seed")
def seed_command() -> None:
    if current_app.config["TIDINGS_ENV"] == "production":
        raise click.ClickException("dev seed is for development only.")
    users = _ensure_accounts()
    _ensure_demo_subscribers()
    seed_library(db.session)
    db.session.commit()
    paths = campaign_files(REPO_ROOT / "campaigns")
    results = load_paths(paths, users["marketer"])
    for path, result in zip(paths, results, strict=True):
        meta, _ = split_front_matter(path.read_text("utf-8"), path.name)
        if meta.get("demo"):
            _schedule_demo(result.campaign, users["marketer"], users["reviewer"])
    db.session.commit()
    click.echo(
        f"Sample campaigns: {len(results)} in campaigns/. Log in at {current_app.config['PUBLIC_BASE_URL']}/login as:"
    )
    for email, _, role, password in DEV_ACCOUNTS:
        click.echo(f"  {role:9} {email:22} password: {password}")
