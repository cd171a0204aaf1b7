"""Creating and changing campaigns from plain values (a form, a sample file, the API)."""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.campaigns import lifecycle
from service.campaigns.edits import record_content_edit
from service.campaigns.schedule import ScheduleError, plan_send_times, schedule_of
from service.models import Campaign, CampaignSnippet, Snippet, User
from service.rendering.post import DEFAULT_POST_TEMPLATE, is_post_template


class CampaignInputError(ValueError):
    """Invalid campaign input; `errors` maps field names to messages for a person."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


@dataclass
class CampaignInput:
    name: str
    snippet_ids: list[int]
    send_email: bool = True
    send_post: bool = False
    email_subject: str = ""
    topics: list[str] = field(default_factory=list)
    hashtags: str = ""
    link_url: str = ""
    post_template: str = DEFAULT_POST_TEMPLATE
    schedule_kind: str = "once"
    start_date: date | None = None
    send_time: time | None = None
    every_days: int | None = None
    weekday: int | None = None
    occurrences: int | None = None


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80] or "campaign"


def unique_slug(session: Session, name: str, exclude_id: int | None = None) -> str:
    base = slugify(name)
    slug, counter = base, 2
    while True:
        query = select(func.count()).select_from(Campaign).where(Campaign.slug == slug)
        if exclude_id is not None:
            query = query.where(Campaign.id != exclude_id)
        if not session.scalar(query):
            return slug
        slug, counter = f"{base}-{counter}", counter + 1


@dataclass(frozen=True)
class EditContext:
    """What validating an edit needs besides the input: the clinic's topics, time zone, and the time now."""

    known_topics: list[str]
    tz_name: str
    now: datetime


def validate(data: CampaignInput, ctx: EditContext) -> dict[str, str]:
    errors = _validate_content(data, ctx.known_topics)
    try:
        plan_send_times(schedule_of(data), max(len(data.snippet_ids), 1), ctx.tz_name, ctx.now)
    except ScheduleError as error:
        errors.setdefault(error.field, error.message)
    return errors


def _validate_content(data: CampaignInput, known_topics: list[str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = "Give the campaign a name."
    if not data.snippet_ids:
        errors["snippet_ids"] = "Choose at least one snippet."
    if not (data.send_email or data.send_post):
        errors["channels"] = "Choose email, X, or both."
    if "\r" in data.email_subject or "\n" in data.email_subject:
        errors["email_subject"] = "The subject must be a single line."
    elif data.send_email and not data.email_subject.strip():
        errors["email_subject"] = "An email needs a subject."
    if data.link_url.strip() and not re.match(r"https?://[^\s]+$", data.link_url.strip()):
        errors["link_url"] = "Enter a full web address starting with https://."
    if not is_post_template(data.post_template):
        errors["post_template"] = "Choose one of the post templates."
    unknown = sorted(set(data.topics) - set(known_topics))
    if unknown:
        errors["topics"] = f"Unknown topics: {', '.join(unknown)}."
    elif data.send_email and not data.topics:
        errors["topics"] = "Choose who gets the email: at least one topic."
    return errors


def _apply(session: Session, campaign: Campaign, data: CampaignInput) -> None:
    with session.no_autoflush:
        snippets = {s.id: s for s in session.scalars(select(Snippet).where(Snippet.id.in_(data.snippet_ids)))}
    missing = [sid for sid in data.snippet_ids if sid not in snippets]
    if missing:
        raise CampaignInputError({"snippet_ids": "Some chosen snippets no longer exist."})
    campaign.name = data.name.strip()
    campaign.send_email, campaign.send_post = data.send_email, data.send_post
    campaign.email_subject = data.email_subject.strip()
    campaign.topics = list(data.topics)
    campaign.hashtags = data.hashtags.strip()
    campaign.link_url = data.link_url.strip()
    campaign.post_template = data.post_template
    campaign.schedule_kind = data.schedule_kind
    campaign.start_date, campaign.send_time = data.start_date, data.send_time
    campaign.every_days, campaign.weekday, campaign.occurrences = data.every_days, data.weekday, data.occurrences
    # Old links go first: the new ones reuse their (campaign, position) pairs.
    campaign.campaign_snippets.clear()
    session.flush()
    for position, snippet_id in enumerate(data.snippet_ids):
        campaign.campaign_snippets.append(CampaignSnippet(snippet_id=snippet_id, position=position))


def create_campaign(
    session: Session, data: CampaignInput, author: User | None, ctx: EditContext, source_name: str | None = None
) -> Campaign:
    errors = validate(data, ctx)
    if errors:
        raise CampaignInputError(errors)
    campaign = Campaign(
        slug=unique_slug(session, data.name),
        created_by_id=author.id if author else None,
        source_name=source_name,
        status="draft",
    )
    session.add(campaign)
    _apply(session, campaign, data)
    session.flush()
    record_content_edit(session, campaign, author)
    lifecycle.audit.record(session, "created", actor=author, campaign=campaign)
    return campaign


def update_campaign(session: Session, campaign: Campaign, data: CampaignInput, editor: User, ctx: EditContext) -> None:
    errors = validate(data, ctx)
    if errors:
        raise CampaignInputError(errors)
    lifecycle.mark_edited(session, campaign, editor)
    _apply(session, campaign, data)


def input_from(campaign: Campaign) -> CampaignInput:
    return CampaignInput(
        name=campaign.name,
        snippet_ids=[s.id for s in campaign.snippets],
        send_email=campaign.send_email,
        send_post=campaign.send_post,
        email_subject=campaign.email_subject,
        topics=list(campaign.topics or []),
        hashtags=campaign.hashtags,
        link_url=campaign.link_url,
        post_template=campaign.post_template or DEFAULT_POST_TEMPLATE,
        schedule_kind=campaign.schedule_kind,
        start_date=campaign.start_date,
        send_time=campaign.send_time,
        every_days=campaign.every_days,
        weekday=campaign.weekday,
        occurrences=campaign.occurrences,
    )
