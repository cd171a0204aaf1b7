"""The recipe: how a new article from the blog feed becomes a draft campaign, and the drafts it made that wait.

A draft from the recipe is an ordinary draft: it is never submitted nor scheduled by itself; a marketer edits it,
submits it, and the review decides, like any other campaign. The proposed send time is only filled in.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service import audit
from service.campaigns.editing import CampaignInput, EditContext, create_campaign
from service.models import Article, Campaign, FeedEntry, FeedRecipe, Snippet, User
from service.rendering.post import DEFAULT_POST_TEMPLATE, is_post_template
from service.timezones import utc_to_local

# The composer (its own branch) brings the layouts; until then every email has the one the renderer draws.
LAYOUTS = ("letter",)
DEFAULT_LAYOUT = "letter"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_SECTIONS = 20


class RecipeInputError(ValueError):
    """Invalid recipe settings; `errors` maps field names to messages for a person."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


@dataclass
class RecipeInput:
    include_intro: bool = True
    section_count: int = 3
    send_email: bool = True
    send_post: bool = False
    layout: str = DEFAULT_LAYOUT
    post_template: str = DEFAULT_POST_TEMPLATE
    topics: list[str] = field(default_factory=list)
    send_weekday: int = 1  # Tuesday
    send_time: time = time(9, 0)

    @classmethod
    def of(cls, recipe: FeedRecipe) -> "RecipeInput":
        return cls(**{name: getattr(recipe, name) for name in cls.__dataclass_fields__})


def current_recipe(session: Session, known_topics: list[str]) -> FeedRecipe:
    """The recipe in force; the default one (intro and first three sections, email, next Tuesday 09:00) if none."""
    recipe = session.scalar(select(FeedRecipe).order_by(FeedRecipe.id).limit(1))
    if recipe is None:
        defaults = RecipeInput(topics=known_topics[:1])
        recipe = FeedRecipe(**vars(defaults))
        session.add(recipe)
        session.flush()
    return recipe


def validate_recipe(data: RecipeInput, known_topics: list[str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not 0 <= data.section_count <= MAX_SECTIONS:
        errors["section_count"] = f"Choose 0 (all) to {MAX_SECTIONS} sections."
    if not (data.send_email or data.send_post):
        errors["channels"] = "Choose email, X, or both."
    if data.layout not in LAYOUTS:
        errors["layout"] = f"Choose one of the layouts: {', '.join(LAYOUTS)}."
    if not is_post_template(data.post_template):
        errors["post_template"] = "Choose one of the post templates."
    unknown = sorted(set(data.topics) - set(known_topics))
    if unknown:
        errors["topics"] = f"Unknown topics: {', '.join(unknown)}."
    elif data.send_email and not data.topics:
        errors["topics"] = "Choose who gets the email: at least one topic."
    if not 0 <= data.send_weekday <= 6:
        errors["send_weekday"] = "Choose a weekday."
    return errors


def save_recipe(session: Session, data: RecipeInput, actor: User, known_topics: list[str]) -> FeedRecipe:
    errors = validate_recipe(data, known_topics)
    if errors:
        raise RecipeInputError(errors)
    recipe = current_recipe(session, known_topics)
    for name, value in vars(data).items():
        setattr(recipe, name, value)
    recipe.updated_by_id = actor.id
    audit.record(session, "feed-recipe:edited", actor=actor, detail=describe_recipe(recipe))
    return recipe


def describe_recipe(recipe: FeedRecipe) -> str:
    """The recipe in one line, for the audit log and the feed page."""
    sections = "all sections" if recipe.section_count == 0 else f"the first {recipe.section_count} sections"
    parts = ("the intro and " if recipe.include_intro else "") + sections
    channels = " and ".join(name for name, on in (("email", recipe.send_email), ("X", recipe.send_post)) if on)
    when = f"{WEEKDAYS[recipe.send_weekday]} {recipe.send_time.strftime('%H:%M')}"
    return f"{parts}; {channels}; {recipe.layout} layout; topics {', '.join(recipe.topics) or 'none'}; next {when}"


def chosen_snippets(article: Article, recipe: FeedRecipe) -> list[Snippet]:
    """The article's snippets the recipe takes: the intro if wanted, then the first N sections (0: all).

    Sections with no body (a group heading above its sub-headings) are skipped: there is nothing to send."""
    snippets = [snippet for snippet in article.snippets if snippet.body.strip()]
    intro = [snippets[0]] if snippets and _is_intro(article, snippets[0]) else []
    sections = snippets[len(intro) :]
    if recipe.section_count:
        sections = sections[: recipe.section_count]
    return (intro if recipe.include_intro else []) + sections


def _is_intro(article: Article, snippet: Snippet) -> bool:
    # The parser gives the text before the first heading the article's title as its heading.
    return snippet.position == 0 and snippet.heading == article.title


def proposed_send(recipe: FeedRecipe, tz_name: str, now: datetime) -> tuple[date, time]:
    """The next recipe weekday after today, in the clinic's time: never today, so review has at least a day."""
    today = utc_to_local(now, tz_name).date()
    days_ahead = (recipe.send_weekday - today.weekday() - 1) % 7 + 1
    return today + timedelta(days=days_ahead), recipe.send_time


def draft_from_article(session: Session, article: Article, recipe: FeedRecipe, ctx: EditContext) -> Campaign:
    """A draft campaign made from `article` by `recipe`, by nobody (the audit log says "system").

    Raises CampaignInputError when the recipe cannot make a valid campaign of it (say, no section has text)."""
    start_date, send_time = proposed_send(recipe, ctx.tz_name, ctx.now)
    data = CampaignInput(
        name=article.title,
        snippet_ids=[snippet.id for snippet in chosen_snippets(article, recipe)],
        send_email=recipe.send_email,
        send_post=recipe.send_post,
        email_subject=article.title[:200],
        topics=list(recipe.topics),
        link_url=article.source_url or "",
        post_template=recipe.post_template,
        schedule_kind="once",
        start_date=start_date,
        send_time=send_time,
    )
    campaign = create_campaign(session, data, None, ctx)
    audit.record(session, "campaign:drafted-from-feed", campaign=campaign, detail=article.source_url or "")
    return campaign


def new_feed_drafts(session: Session) -> list[Campaign]:
    """Drafts the blog feed made that still wait for a marketer (status draft), newest first: the home page's
    to-do, shown on the feed page and the campaign list meanwhile."""
    return list(
        session.scalars(
            select(Campaign)
            .join(FeedEntry, FeedEntry.campaign_id == Campaign.id)
            .where(Campaign.status == "draft")
            .order_by(Campaign.created_at.desc(), Campaign.id.desc())
        )
    )
