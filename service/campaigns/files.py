"""Campaign files: YAML front matter (the plan) + Markdown (the content), as kept in `campaigns/`.

    ---
    name: Meet ketamine-assisted psychotherapy     # required
    subject: What a KAP session looks like         # required when channels include email
    channels: [email, x]                           # email and/or x; default [email]
    topics: [newsletter, kap]                      # audience; default [newsletter]
    hashtags: "#MentalHealth"                      # optional, for posts
    post_template: short.txt                       # optional: a file in templates/social/ (default post.txt)
    link: https://www.example.org/blog/kap         # optional, the whole article on the clinic's site
    schedule:                                      # in the clinic's time zone
      kind: drip                                   # once | drip | recurring
      start: +7                                    # a date (2027-01-05) or +N days from the day it is loaded
                                                   # (recurring: +N is the first chosen weekday from then on)
      time: "09:00"
      every_days: 7                                # drip
      weekday: tuesday                             # recurring
      occurrences: 4                               # recurring
    ---
    # Article title
    ## First heading
    ...

The Markdown becomes an article (split at its headings); the campaign sends all its snippets in order. Loading is
idempotent: a file already loaded (same file name) is skipped. Loaded campaigns start as drafts and go through
review like any other.
"""

from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.articles.store import import_article
from service.campaigns.editing import CampaignInput, EditContext, create_campaign
from service.models import Campaign, User
from service.rendering.post import DEFAULT_POST_TEMPLATE
from service.timezones import utc_to_local

WEEKDAY_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class CampaignFileError(ValueError):
    """The file cannot be loaded; the message names the file and what is wrong."""


@dataclass(frozen=True)
class LoadResult:
    campaign: Campaign
    created: bool


def split_front_matter(text: str, name: str) -> tuple[dict, str]:
    if not text.startswith("---"):
        raise CampaignFileError(f"{name}: a campaign file starts with '---' and YAML front matter")
    try:
        _, header, body = text.split("---", 2)
        meta = yaml.safe_load(header) or {}
    except (ValueError, yaml.YAMLError) as error:
        raise CampaignFileError(f"{name}: the front matter is not valid YAML ({error})") from error
    if not isinstance(meta, dict):
        raise CampaignFileError(f"{name}: the front matter must be a mapping of settings")
    return meta, body.lstrip("\n")


def _days_ahead(value) -> int | None:
    """N of a relative start ("+N"), None for a date."""
    if isinstance(value, int) and not isinstance(value, bool):  # YAML reads "+7" as the number 7
        return value
    text = str(value).strip()
    return int(text[1:]) if text.startswith("+") and text[1:].isdigit() else None


def _start_date(value, today: date, name: str, weekday: int | None) -> date:
    if isinstance(value, date):
        return value
    days = _days_ahead(value)
    if days is not None:
        start = today + timedelta(days=days)
        # A weekly campaign starts on its weekday: "+3" means the first such day from three days on.
        return start if weekday is None else start + timedelta(days=(weekday - start.weekday()) % 7)
    text = str(value).strip()
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise CampaignFileError(f"{name}: schedule.start must be a date or +N days, not {text!r}") from error


def _send_time(value, name: str) -> time:
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError as error:
        raise CampaignFileError(f"{name}: schedule.time must look like 09:00, not {value!r}") from error


def campaign_input_from(meta: dict, snippet_ids: list[int], today: date, name: str) -> CampaignInput:
    schedule = meta.get("schedule") or {}
    channels = meta.get("channels") or ["email"]
    weekday = schedule.get("weekday")
    if weekday is not None and str(weekday).lower() not in WEEKDAY_NAMES:
        raise CampaignFileError(f"{name}: schedule.weekday must be a day name, not {weekday!r}")
    weekday_index = WEEKDAY_NAMES.index(str(weekday).lower()) if weekday is not None else None
    kind = str(schedule.get("kind") or "once")
    start = _start_date(schedule.get("start", "+1"), today, name, weekday_index if kind == "recurring" else None)
    return CampaignInput(
        name=str(meta.get("name") or ""),
        snippet_ids=snippet_ids,
        send_email="email" in channels,
        send_post="x" in channels,
        email_subject=str(meta.get("subject") or ""),
        topics=list(meta.get("topics") or ["newsletter"]),
        hashtags=str(meta.get("hashtags") or ""),
        link_url=str(meta.get("link") or ""),
        post_template=str(meta.get("post_template") or DEFAULT_POST_TEMPLATE),
        schedule_kind=kind,
        start_date=start,
        send_time=_send_time(schedule.get("time", "09:00"), name),
        every_days=schedule.get("every_days"),
        weekday=weekday_index,
        occurrences=schedule.get("occurrences"),
    )


def load_campaign_file(session: Session, path: Path, ctx: EditContext, actor: User | None = None) -> LoadResult:
    """Load one campaign file. Raises CampaignFileError (or CampaignInputError) and writes nothing on error."""
    name = path.name
    existing = session.scalar(select(Campaign).where(Campaign.source_name == name))
    if existing is not None:
        return LoadResult(existing, created=False)
    meta, body = split_front_matter(path.read_text(encoding="utf-8"), name)
    article = import_article(session, body, filename=name, fmt="markdown", actor=actor).article
    today = utc_to_local(ctx.now, ctx.tz_name).date()
    data = campaign_input_from(meta, [snippet.id for snippet in article.snippets], today, name)
    return LoadResult(create_campaign(session, data, actor, ctx, source_name=name), created=True)


def campaign_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.glob("*.md") if path.name.lower() != "readme.md")
