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
from service.composer.issues import copied_issues, issues_from_snippets
from service.composer.placeholders import PlaceholderError, check_placeholders
from service.models import Campaign, PostDraft, Snippet, User
from service.models.composer import EMAIL_LAYOUTS
from service.rendering.post import DEFAULT_POST_TEMPLATE, is_post_template
from service.text_input import text_problem


class CampaignInputError(ValueError):
    """Invalid campaign input; `errors` maps field names to messages for a person."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


@dataclass
class CampaignInput:
    """A campaign's settings. `snippet_ids` start a new campaign's content (copied into its sections); an edit
    leaves the content to the composer. `email_subject` is the subject of every email that has none of its own."""

    name: str
    snippet_ids: list[int]
    send_email: bool = True
    send_post: bool = False
    email_subject: str = ""
    topics: list[str] = field(default_factory=list)
    hashtags: str = ""
    link_url: str = ""
    post_template: str = DEFAULT_POST_TEMPLATE
    email_layout: str = "letter"
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


def validate(data: CampaignInput, ctx: EditContext, campaign: Campaign | None = None) -> dict[str, str]:
    """Errors by field name; `campaign` is the one being edited (None: a new campaign, made from snippet_ids)."""
    errors = _validate_content(data, ctx.known_topics)
    if campaign is None and not data.snippet_ids:
        errors["snippet_ids"] = "Choose at least one snippet."
    try:
        if campaign is not None:
            steps = len(campaign.issues)
        else:
            steps = 1 if data.schedule_kind == "once" else len(data.snippet_ids)
        plan_send_times(schedule_of(data), max(steps, 1), ctx.tz_name, ctx.now)
    except ScheduleError as error:
        errors.setdefault(error.field, error.message)
    return errors


def _validate_content(data: CampaignInput, known_topics: list[str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.name.strip():
        errors["name"] = "Give the campaign a name."
    if not (data.send_email or data.send_post):
        errors["channels"] = "Choose email, X, or both."
    if text_problem(data.email_subject):
        errors["email_subject"] = "The subject must be a single line of text (no line breaks or control characters)."
    elif data.send_email and not data.email_subject.strip():
        errors["email_subject"] = "An email needs a subject."
    else:
        try:
            check_placeholders(data.email_subject)
        except PlaceholderError as error:
            errors["email_subject"] = str(error)
    if data.email_layout not in EMAIL_LAYOUTS:
        errors["email_layout"] = "Choose the Letter or the Digest layout."
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


def _start_content(session: Session, campaign: Campaign, data: CampaignInput) -> None:
    with session.no_autoflush:
        snippets = {s.id: s for s in session.scalars(select(Snippet).where(Snippet.id.in_(data.snippet_ids)))}
    missing = [sid for sid in data.snippet_ids if sid not in snippets]
    if missing:
        raise CampaignInputError({"snippet_ids": "Some chosen snippets no longer exist."})
    chosen = [snippets[sid] for sid in data.snippet_ids]
    campaign.issues = issues_from_snippets(
        chosen, subject=data.email_subject.strip(), steps=data.schedule_kind != "once"
    )


def _apply(session: Session, campaign: Campaign, data: CampaignInput) -> None:
    old_subject = campaign.email_subject
    campaign.name = data.name.strip()
    campaign.send_email, campaign.send_post = data.send_email, data.send_post
    campaign.email_subject = data.email_subject.strip()
    campaign.topics = list(data.topics)
    campaign.hashtags = data.hashtags.strip()
    campaign.link_url = data.link_url.strip()
    campaign.post_template = data.post_template
    campaign.email_layout = data.email_layout
    for issue in campaign.issues:
        if issue.subject == old_subject:
            issue.subject = campaign.email_subject
    campaign.schedule_kind = data.schedule_kind
    campaign.start_date, campaign.send_time = data.start_date, data.send_time
    campaign.every_days, campaign.weekday, campaign.occurrences = data.every_days, data.weekday, data.occurrences


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
    _start_content(session, campaign, data)
    session.flush()
    record_content_edit(session, campaign, author)
    lifecycle.audit.record(session, "created", actor=author, campaign=campaign)
    return campaign


def update_campaign(session: Session, campaign: Campaign, data: CampaignInput, editor: User, ctx: EditContext) -> None:
    errors = validate(data, ctx, campaign)
    if errors:
        raise CampaignInputError(errors)
    lifecycle.mark_edited(session, campaign, editor)
    _apply(session, campaign, data)


def input_from(campaign: Campaign) -> CampaignInput:
    return CampaignInput(
        name=campaign.name,
        snippet_ids=[s.source_snippet_id for s in campaign.sections if s.source_snippet_id is not None],
        send_email=campaign.send_email,
        send_post=campaign.send_post,
        email_subject=campaign.email_subject,
        topics=list(campaign.topics or []),
        hashtags=campaign.hashtags,
        link_url=campaign.link_url,
        post_template=campaign.post_template or DEFAULT_POST_TEMPLATE,
        email_layout=campaign.email_layout or "letter",
        schedule_kind=campaign.schedule_kind,
        start_date=campaign.start_date,
        send_time=campaign.send_time,
        every_days=campaign.every_days,
        weekday=campaign.weekday,
        occurrences=campaign.occurrences,
    )


def _copy_post_drafts(session: Session, original: Campaign, copy: Campaign, author: User) -> None:
    """The original's edited posts, each on the copy's section in the same place."""
    copied_section = {
        (issue.position, section.position): section.id for issue in copy.issues for section in issue.sections
    }
    place = {section.id: (issue.position, section.position) for issue in original.issues for section in issue.sections}
    for draft in session.scalars(select(PostDraft).where(PostDraft.campaign_id == original.id)):
        section_id = copied_section.get(place.get(draft.section_id))
        if section_id is not None:
            session.add(
                PostDraft(campaign_id=copy.id, section_id=section_id, parts=list(draft.parts), updated_by_id=author.id)
            )


def duplicate_campaign(session: Session, original: Campaign, author: User) -> Campaign:
    """A new draft with the original's content and schedule as entered (not checked: the dates may be past, which
    the edit form then says), named "Copy of …"."""
    data = input_from(original)
    data.name = f"Copy of {original.name}"[:200]
    campaign = Campaign(slug=unique_slug(session, data.name), created_by_id=author.id, status="draft")
    session.add(campaign)
    _apply(session, campaign, data)
    # The copy has what the original would send: its sections as composed, and its edited posts.
    campaign.issues = copied_issues(original.issues)
    session.flush()
    _copy_post_drafts(session, original, campaign, author)
    record_content_edit(session, campaign, author)
    lifecycle.audit.record(session, "duplicated", actor=author, campaign=campaign, detail=f"from #{original.id}")
    return campaign
