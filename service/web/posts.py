"""Posts on X in the marketer UI: the live preview behind the editors' counters."""

from flask import Blueprint, current_app, jsonify, request
from flask_login import login_required
from sqlalchemy import select

from service.campaigns.editing import slugify
from service.extensions import db
from service.models import Campaign, Snippet
from service.rendering.post import (
    DEFAULT_POST_TEMPLATE,
    UnknownPostTemplate,
    is_post_template,
    measure,
    post_link,
    render_thread,
)
from service.rendering.post_length import MAX_POST_LENGTH, weighted_length
from service.rendering.threads import split_into_thread

blueprint = Blueprint("posts", __name__)

MAX_PREVIEW_CHARACTERS = 20_000
MAX_PREVIEW_SNIPPETS = 50


class PreviewRequestError(ValueError):
    pass


@blueprint.post("/posts/preview")
@login_required
def preview():
    """The posts a text becomes, each with X's weighted length. JSON in, JSON out (CSRF token in X-CSRFToken).

    `{"text": "..."}`: the text as it is -> `{"posts": [{"text", "weighted_length"}], "weighted_length", "max_length"}`.
    `{"snippet_ids": [...], "template", "hashtags", "link_url", "campaign_id" or "name"}`, plus `"heading"` and
    `"body"` for text not saved yet: each snippet as the campaign would post it (settings left out come from the
    saved campaign) -> `{"snippets": [{"snippet_id", "heading", "posts": [...]}], "max_length": 280}`.
    """
    data = request.get_json(silent=True)
    try:
        if not isinstance(data, dict):
            raise PreviewRequestError("Send a JSON object.")
        if "text" in data:
            text = _string(data, "text").strip()
            # weighted_length: the text as one post (a part of a thread being edited), whatever it splits into.
            return jsonify(posts=_text_posts(text), weighted_length=weighted_length(text), max_length=MAX_POST_LENGTH)
        return jsonify(snippets=_snippet_previews(data), max_length=MAX_POST_LENGTH)
    except (PreviewRequestError, UnknownPostTemplate) as error:
        return jsonify(error=str(error)), 400


def _string(data: dict, name: str) -> str:
    value = data.get(name) or ""
    if not isinstance(value, str):
        raise PreviewRequestError(f"`{name}` must be a string.")
    if len(value) > MAX_PREVIEW_CHARACTERS:
        raise PreviewRequestError(f"`{name}` is longer than {MAX_PREVIEW_CHARACTERS} characters.")
    return value


def _text_posts(text: str) -> list[dict]:
    text = text.strip()
    return [post.as_dict() for post in measure(split_into_thread(text))] if text else []


def _snippet_previews(data: dict) -> list[dict]:
    ids = data.get("snippet_ids") or []
    if not isinstance(ids, list) or len(ids) > MAX_PREVIEW_SNIPPETS or not all(type(i) is int for i in ids):
        raise PreviewRequestError(f"`snippet_ids` must be a list of at most {MAX_PREVIEW_SNIPPETS} numbers.")
    campaign = _campaign(data)

    def setting(name: str, saved: str) -> str:
        # What the form says wins; a field the page does not have falls back to the saved campaign.
        return _string(data, name) if name in data or campaign is None else saved

    template = setting("template", campaign.post_template if campaign else "") or DEFAULT_POST_TEMPLATE
    if not is_post_template(template):
        raise PreviewRequestError(f"There is no post template {template!r}.")
    hashtags = setting("hashtags", campaign.hashtags if campaign else "")
    link = post_link(
        setting("link_url", campaign.link_url if campaign else ""),
        website_url=current_app.config["CLINIC_WEBSITE_URL"],
        campaign_slug=campaign.slug if campaign else slugify(_string(data, "name")),
    )
    texts = [(None, _string(data, "heading"), _string(data, "body"))] if "body" in data else []
    snippets = {s.id: s for s in db.session.scalars(select(Snippet).where(Snippet.id.in_(ids)))} if ids else {}
    texts += [(i, snippets[i].heading, snippets[i].body) for i in ids if i in snippets]
    previews = []
    for snippet_id, heading, body in texts:
        parts = []
        if heading.strip() or body.strip():
            parts = render_thread(heading=heading, body=body, link=link, hashtags=hashtags, template=template)
        previews.append({"snippet_id": snippet_id, "heading": heading, "posts": [p.as_dict() for p in measure(parts)]})
    return previews


def _campaign(data: dict) -> Campaign | None:
    campaign_id = data.get("campaign_id")
    if campaign_id in (None, ""):
        return None
    if type(campaign_id) is not int:
        raise PreviewRequestError("`campaign_id` must be a number.")
    return db.session.get(Campaign, campaign_id)
