"""The media library page (grid and upload) and the public addresses its images are served at."""

import re

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user, login_required
from flask_wtf.file import FileField
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import TextAreaField

from service.extensions import db
from service.media.images import MAX_UPLOAD_BYTES
from service.media.library import MediaUploadError, library_images, store_upload
from service.media.urls import MEDIA_URL_PATH, media_base_url
from service.models.users import EDITOR_ROLES
from service.web.auth import roles_required
from service.web.body_limits import body_limit
from service.web.forms import BoundaryForm

blueprint = Blueprint("media", __name__)

# Room for the form's other fields around a 10 MB file; a larger request is refused before it is read.
MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES + 256 * 1024
# A stored name is a SHA-256 and the extension its format has: nothing else is ever looked up on disk.
STORED_NAME = re.compile(r"^[0-9a-f]{64}\.(jpg|png|webp|gif)$")
# The bytes behind a name never change (the name is their hash), so caches may keep them for a year.
IMMUTABLE = "public, max-age=31536000, immutable"


class UploadForm(BoundaryForm):
    image = FileField("Image (JPEG, PNG, WebP or GIF, at most 10 MB)")
    alt_text = TextAreaField("Alt text: what the image shows, for people who cannot see it")


@blueprint.get("/media-library")
@login_required
def index():
    return _render_library(UploadForm())


@blueprint.post("/media-library")
@body_limit("MEDIA_UPLOAD_MAX_BYTES")
@roles_required(*EDITOR_ROLES)
def upload():
    request.max_content_length = MAX_REQUEST_BYTES
    try:
        form = UploadForm()
    except RequestEntityTooLarge:
        form = UploadForm(formdata=None)
        form.image.errors = ["The file is larger than 10 MB; images can be at most 10 MB."]
        return _render_library(form, status=413)
    if not form.validate_on_submit():
        return _render_library(form, status=400)
    file = form.image.data
    if not file or not getattr(file, "filename", ""):
        form.image.errors.append("Choose an image to upload.")
        return _render_library(form, status=400)
    try:
        media = store_upload(
            db.session,
            file.read(MAX_UPLOAD_BYTES + 1),
            file.filename,
            form.alt_text.data,
            media_dir=current_app.config["MEDIA_DIR"],
            uploaded_by=current_user,
        )
    except MediaUploadError as error:
        getattr(form, "alt_text" if error.field == "alt_text" else "image").errors.append(str(error))
        return _render_library(form, status=400)
    db.session.commit()
    flash(f"Added “{media.original_filename or 'the image'}” to the library ({media.width_1x} × {media.height_1x}).")
    return redirect(url_for("media.index"))


def _render_library(form: UploadForm, status: int = 200):
    page = render_template(
        "media/index.html",
        form=form,
        images=library_images(db.session),
        media_base=media_base_url(current_app.config),
        can_upload=current_user.role in EDITOR_ROLES,
    )
    return page, status


@blueprint.get(f"{MEDIA_URL_PATH}/<name>")
def stored_file(name: str):
    """Public: emails and posts link here. Only content-hash names, served with a long immutable cache."""
    if not STORED_NAME.match(name):
        abort(404)
    response = send_from_directory(current_app.config["MEDIA_DIR"], name, max_age=31536000)
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
