"""The post editor: a campaign's post on X for one section (or each part of its thread), with images."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from service.campaigns.lifecycle import LifecycleError
from service.campaigns.posts import (
    MAX_PARTS,
    PartInput,
    PostDraftError,
    kept_parts,
    reset_post_draft,
    save_post_draft,
)
from service.channels.social.base import MAX_IMAGES_PER_POST
from service.extensions import db
from service.media.library import library_images
from service.media.urls import media_base_url
from service.models import Campaign, Section
from service.models.users import EDITOR_ROLES
from service.outgoing.post_preview import PreviewPost, XAccount, preview_posts
from service.outgoing.posts import composed_posts, post_draft_for, posts_from_parts
from service.rendering.clinic import ClinicInfo
from service.rendering.post_length import MAX_POST_LENGTH
from service.web.auth import roles_required
from service.web.forms import BoundaryForm

blueprint = Blueprint("campaign_posts", __name__, url_prefix="/campaigns")


@blueprint.route("/<int:campaign_id>/posts/<int:position>", methods=["GET", "POST"])
@roles_required(*EDITOR_ROLES)
def edit(campaign_id: int, position: int):
    campaign, section = _target(campaign_id, position)
    form = BoundaryForm()  # the CSRF token
    errors: dict = {}
    if request.method == "POST" and form.validate_on_submit():
        parts = _typed_parts()
        try:
            if request.form.get("action") == "reset":
                reset_post_draft(db.session, campaign, section, current_user)
                message = "The post follows the campaign's template again."
            else:
                saved = save_post_draft(
                    db.session, campaign, section, parts, current_user, ClinicInfo.from_config(current_app.config)
                )
                message = "Post saved." if saved else "Post saved: it is the template's draft again."
        except (PostDraftError, LifecycleError) as error:
            db.session.rollback()
            errors = getattr(error, "errors", {None: str(error)})
            return _render(campaign, section, position, form, parts, errors, status=400)
        db.session.commit()
        if campaign.status == "draft":
            message += " The campaign is a draft and needs review before it goes out."
        flash(message, "success")
        return redirect(url_for("campaign_posts.edit", campaign_id=campaign.id, position=position))
    posts = composed_posts(campaign, section, ClinicInfo.from_config(current_app.config))
    parts = [PartInput(post.text, [m.id for m in post.images]) for post in posts]
    return _render(campaign, section, position, form, parts, errors)


@blueprint.post("/<int:campaign_id>/posts/<int:position>/preview")
@roles_required(*EDITOR_ROLES)
def live_preview(campaign_id: int, position: int):
    """The editor's form as it is now (the same fields as a save, nothing saved) -> the "As it will look on X"
    thread, as an HTML fragment the page's script puts in place while the marketer types."""
    campaign, section = _target(campaign_id, position)
    by_id = {image.id: image for image in library_images(db.session)}
    return render_template(
        "campaigns/_post_editor_preview.html",
        thread=_thread(section, _typed_parts(), by_id),
        account=XAccount.from_config(current_app.config),
        max_length=MAX_POST_LENGTH,
    )


def _thread(section: Section, parts: list[PartInput], library: dict) -> list[PreviewPost]:
    """The thread as it will go out once these parts are saved, as X would show it."""
    posts = posts_from_parts(((part.text, part.media_ids) for part in kept_parts(parts)), library)
    return preview_posts(posts, section=section, config=current_app.config)


def _typed_parts() -> list[PartInput]:
    """The parts as posted (part-<n>-text, part-<n>-media), blank ones dropped, in the order of their numbers."""
    numbers = sorted(
        {int(key.split("-")[1]) for key in request.form if key.startswith("part-") and key.split("-")[1].isdigit()}
    )
    parts = []
    for number in numbers[: MAX_PARTS + 1]:
        text = request.form.get(f"part-{number}-text", "")
        media_ids = [int(v) for v in request.form.getlist(f"part-{number}-media") if v.isdigit()]
        if text.strip():
            parts.append(PartInput(text, list(dict.fromkeys(media_ids))))
    return parts


def _render(campaign, section, position, form, parts: list[PartInput], errors: dict, status: int = 200):
    images = library_images(db.session)
    page = render_template(
        "campaigns/posts.html",
        campaign=campaign,
        section=section,
        position=position,
        form=form,
        parts=parts,
        errors=errors,
        edited=post_draft_for(db.session, campaign, section) is not None,
        images=images,
        media_base=media_base_url(current_app.config),
        thread=_thread(section, parts, {image.id: image for image in images}),
        account=XAccount.from_config(current_app.config),
        max_length=MAX_POST_LENGTH,
        max_images=MAX_IMAGES_PER_POST,
    )
    return page, status


def _target(campaign_id: int, position: int) -> tuple[Campaign, Section]:
    campaign = db.get_or_404(Campaign, campaign_id)
    if not campaign.send_post or not 0 <= position < len(campaign.sections):
        abort(404)
    return campaign, campaign.sections[position]
