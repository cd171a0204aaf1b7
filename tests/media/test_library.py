"""Storing uploads in the library: content-hash names, nothing stored for a bad upload, one row per image."""

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.media.library import MediaUploadError, store_upload
from service.media.urls import media_base_url
from service.models import Media
from tests.media.images import image_bytes, jpeg_with_gps


def _media_dir(app) -> Path:
    return Path(app.config["MEDIA_DIR"])


def test_each_stored_file_is_named_by_the_sha256_of_its_bytes(app, db):
    media = store_upload(
        db.session, jpeg_with_gps((3000, 2000)), "IMG_0042.jpg", "A sunny waiting room", media_dir=_media_dir(app)
    )
    db.session.commit()
    for size in ("1x", "2x"):
        path = _media_dir(app) / media.file_name(size)
        assert path.name == hashlib.sha256(path.read_bytes()).hexdigest() + ".jpg"
    assert media.file_1x != media.file_2x
    assert (media.width_1x, media.width_2x, media.alt_text) == (1200, 2400, "A sunny waiting room")
    assert media.original_filename == "IMG_0042.jpg"


def test_a_bad_upload_stores_no_file_and_no_row(app, db):
    with pytest.raises(MediaUploadError) as refused:
        store_upload(db.session, b"GIF89a but not really", "fake.gif", "Alt", media_dir=_media_dir(app))
    assert refused.value.field == "file"
    assert not _media_dir(app).exists() or not any(_media_dir(app).iterdir())
    assert db.session.scalar(select(func.count()).select_from(Media)) == 0


def test_alt_text_is_required(app, db):
    with pytest.raises(MediaUploadError, match="alt text is required") as refused:
        store_upload(db.session, image_bytes("PNG"), "chart.png", "   ", media_dir=_media_dir(app))
    assert refused.value.field == "alt_text"
    assert not _media_dir(app).exists()


def test_the_same_image_uploaded_twice_is_one_library_image(app, db):
    first = store_upload(db.session, image_bytes("PNG"), "a.png", "A blue square", media_dir=_media_dir(app))
    again = store_upload(db.session, image_bytes("PNG"), "b.png", "A blue tile", media_dir=_media_dir(app))
    db.session.commit()
    assert again.id == first.id and again.alt_text == "A blue tile"
    assert db.session.scalar(select(func.count()).select_from(Media)) == 1


def test_urls_use_the_app_or_the_cdn_base(app, db):
    media = store_upload(db.session, image_bytes("WEBP", (2000, 1000)), "x.webp", "Alt", media_dir=_media_dir(app))
    own = media_base_url({"PUBLIC_BASE_URL": "https://tidings.test/", "MEDIA_BASE_URL": None})
    cdn = media_base_url({"PUBLIC_BASE_URL": "https://tidings.test", "MEDIA_BASE_URL": "https://cdn.example.org/m/"})
    assert media.url("1x", base_url=own) == f"https://tidings.test/media/{media.file_1x}"
    assert media.url("2x", base_url=cdn) == f"https://cdn.example.org/m/{media.file_2x}"
    assert media.srcset(base_url=cdn).endswith(" 2x")
