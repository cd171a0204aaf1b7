"""The composer: one email of a campaign (an issue), its sections, and the live checks behind the editor.

Adding, removing and moving sections re-render the form with what was typed (nothing is saved until "Save"), so
every button works without JavaScript; static/composer.js adds drag and drop, moves in place, the Markdown toolbar,
the live preview and the live claims check (debounced, through `live`).
"""

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from service.campaigns import lifecycle
from service.campaigns.lifecycle import LifecycleError
from service.composer.editing import issue_input_from, save_composed_issue
from service.composer.issues import (
    PREHEADER_HINT,
    IssueInput,
    IssueInputError,
    SectionInput,
    add_step,
)
from service.composer.live_check import DraftCheckError, check_draft
from service.composer.placeholders import DOCUMENTED
from service.composer.sections import source_change, take_new_text
from service.extensions import db
from service.media.library import library_images
from service.media.urls import media_base_url
from service.models import Article, Campaign, EmailIssue, Section, Snippet
from service.rendering.markdown import markdown_to_html
from service.web.review import highlight

blueprint = Blueprint("composer", __name__, url_prefix="/campaigns")


def _issue(campaign_id: int, position: int) -> tuple[Campaign, EmailIssue]:
    campaign = db.get_or_404(Campaign, campaign_id)
    if not 0 <= position < len(campaign.issues):
        abort(404)
    return campaign, campaign.issues[position]


def _int_or_none(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _input_from_form() -> IssueInput:
    form = request.form
    headings, bodies = form.getlist("section_heading"), form.getlist("section_body")

    def nth(name: str, index: int) -> str:
        # Each section posts one of each field, in order; a field left out (an older page) counts as empty.
        values = form.getlist(name)
        return values[index] if index < len(values) else ""

    sections = [
        SectionInput(
            heading,
            body,
            id=_int_or_none(nth("section_id", index)),
            snippet_id=_int_or_none(nth("section_snippet", index)),
            media_id=_int_or_none(nth("section_media", index)),
        )
        for index, (heading, body) in enumerate(zip(headings, bodies, strict=False))
    ]
    return IssueInput(
        subject=form.get("subject", ""),
        preheader=form.get("preheader", ""),
        intro=form.get("intro", ""),
        cta_label=form.get("cta_label", ""),
        cta_url=form.get("cta_url", ""),
        sign_off=form.get("sign_off", ""),
        hero_media_id=_int_or_none(form.get("hero_media_id", "")),
        sections=sections,
    )


def _rearranged(data: IssueInput) -> bool:
    """Apply an add/remove/move button to the typed input; True if one was pressed (then nothing is saved)."""
    form = request.form
    if form.get("add") == "blank":
        data.sections.append(SectionInput("", ""))
    elif form.get("add") == "snippet":
        snippet = db.session.get(Snippet, _int_or_none(form.get("add_snippet_id", "")) or 0)
        if snippet is not None:
            data.sections.append(SectionInput(snippet.heading, snippet.body, snippet_id=snippet.id))
    elif form.get("move"):
        direction, _, index_text = form["move"].partition(":")
        index = _int_or_none(index_text)
        if index is None or not 0 <= index < len(data.sections):
            return True
        sections = data.sections
        if direction == "remove":
            sections.pop(index)
        elif direction == "up" and index > 0:
            sections[index - 1], sections[index] = sections[index], sections[index - 1]
        elif direction == "down" and index < len(sections) - 1:
            sections[index + 1], sections[index] = sections[index], sections[index + 1]
    else:
        return False
    return True


def _render(campaign: Campaign, issue: EmailIssue, data: IssueInput, errors: dict[str, str], status: int = 200):
    articles = db.session.scalars(select(Article).order_by(Article.imported_at.desc())).all()
    sections = {section.id: section for section in issue.sections}
    changes = {
        section_id: change
        for section_id, section in sections.items()
        if (change := source_change(db.session, section)) is not None
    }
    return (
        render_template(
            "campaigns/compose.html",
            campaign=campaign,
            issue=issue,
            position=campaign.issues.index(issue),
            data=data,
            errors=errors,
            articles=articles,
            changes=changes,
            placeholders=DOCUMENTED,
            preheader_hint=PREHEADER_HINT,
            markdown=markdown_to_html,
            images=library_images(db.session),
            media_base=media_base_url(current_app.config),
        ),
        status,
    )


@blueprint.get("/<int:campaign_id>/compose/<int:position>")
@login_required
def edit(campaign_id: int, position: int):
    campaign, issue = _issue(campaign_id, position)
    return _render(campaign, issue, issue_input_from(issue), {})


@blueprint.post("/<int:campaign_id>/compose/<int:position>")
@login_required
def save(campaign_id: int, position: int):
    campaign, issue = _issue(campaign_id, position)
    data = _input_from_form()
    if _rearranged(data):
        return _render(campaign, issue, data, {})
    try:
        changed = save_composed_issue(db.session, campaign, issue, data, current_user, current_app.config)
    except IssueInputError as error:
        db.session.rollback()
        return _render(campaign, db.session.get(EmailIssue, issue.id), data, error.errors, 422)
    except LifecycleError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _render(campaign, issue, data, {}, 409)
    db.session.commit()
    if changed:
        flash("Email saved. The campaign is a draft and needs review before it goes out.", "success")
    else:
        flash("Nothing changed.", "info")
    return redirect(url_for("composer.edit", campaign_id=campaign.id, position=position))


@blueprint.post("/<int:campaign_id>/compose/steps")
@login_required
def new_step(campaign_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    try:
        lifecycle.mark_edited(db.session, campaign, current_user)
        issue = add_step(campaign)
        db.session.flush()
    except LifecycleError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    db.session.commit()
    return redirect(url_for("composer.edit", campaign_id=campaign.id, position=issue.position))


@blueprint.post("/<int:campaign_id>/sections/<int:section_id>/take-new-text")
@login_required
def take_new(campaign_id: int, section_id: int):
    campaign = db.get_or_404(Campaign, campaign_id)
    section = db.get_or_404(Section, section_id)
    if section.issue.campaign_id != campaign.id:
        abort(404)
    change = source_change(db.session, section)
    position = campaign.issues.index(section.issue)
    if change is not None:
        try:
            lifecycle.mark_edited(db.session, campaign, current_user)
        except LifecycleError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            take_new_text(section, change.snippet)
            db.session.commit()
            flash("The section now has the article's new text. The campaign needs review again.", "success")
    return redirect(url_for("composer.edit", campaign_id=campaign.id, position=position))


@blueprint.post("/<int:campaign_id>/compose/live")
@login_required
def live(campaign_id: int):
    """The live check behind the editor. JSON in: {"fields": {name: text}, "markdown": {name: text}}.

    JSON out: {"fields": {name: {"html": highlighted text, "findings": [...]}}, "markdown": {name: safe HTML}}.
    """
    db.get_or_404(Campaign, campaign_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("fields", {}), dict):
        return jsonify(error="Send a JSON object with `fields`."), 400
    markdown_fields = data.get("markdown", {})
    if not isinstance(markdown_fields, dict) or not all(isinstance(v, str) for v in markdown_fields.values()):
        return jsonify(error="`markdown` maps names to texts."), 400
    try:
        results = check_draft(data.get("fields", {}))
    except DraftCheckError as error:
        return jsonify(error=str(error)), 400
    fields = {
        name: {
            "html": str(highlight(data["fields"][name], findings)),
            "findings": [
                {"rule": f.rule, "severity": f.severity, "text": f.text, "why": f.why, "suggestion": f.suggestion}
                for f in findings
            ],
        }
        for name, findings in results.items()
    }
    previews = {name: str(Markup(markdown_to_html(text))) for name, text in list(markdown_fields.items())[:100]}
    return jsonify(fields=fields, markdown=previews)
