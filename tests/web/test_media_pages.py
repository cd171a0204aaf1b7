"""The media library page: upload with alt text, clear refusals, and public files with immutable caching."""

import io

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from service.media.images import MAX_UPLOAD_BYTES
from service.models import Media
from tests.media.images import jpeg_with_gps


def _upload(client, data: bytes, filename: str = "photo.jpg", alt: str = "Two chairs by a window"):
    return client.post(
        "/media-library",
        data={"image": (io.BytesIO(data), filename), "alt_text": alt},
        content_type="multipart/form-data",
    )


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Media))


def test_upload_adds_the_image_to_the_grid_with_its_alt_text(marketer_client, db):
    response = _upload(marketer_client, jpeg_with_gps())
    assert response.status_code == 302
    page = marketer_client.get("/media-library").get_data(as_text=True)
    media = db.session.scalar(select(Media))
    assert f'src="https://tidings.test/media/{media.file_1x}"' in page
    assert 'alt="Two chairs by a window"' in page


def test_upload_without_alt_text_is_a_form_error(marketer_client, db):
    response = _upload(marketer_client, jpeg_with_gps(), alt="")
    assert response.status_code == 400
    assert "alt text is required" in response.get_data(as_text=True)
    assert _count(db) == 0


def test_a_renamed_text_file_is_refused_with_a_clear_message(marketer_client, db):
    response = _upload(marketer_client, b"<html>not a photo</html>" * 10, filename="holiday.jpg")
    assert response.status_code == 400
    assert "not a JPEG, PNG, WebP or GIF image" in response.get_data(as_text=True)
    assert "Two chairs by a window" in response.get_data(as_text=True), "what was typed is kept"
    assert _count(db) == 0


def test_an_upload_over_10_mb_is_refused(marketer_client, db):
    # The body is built here as bytes: the test client would spool it to a temporary file that a refused (unread)
    # request leaves open.
    too_big = FileStorage(io.BytesIO(b"\xff\xd8" + b"\0" * (MAX_UPLOAD_BYTES + 300 * 1024)), filename="big.jpg")
    boundary, body = encode_multipart({"image": too_big, "alt_text": "A big photo"})
    response = marketer_client.post(
        "/media-library", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 413
    assert "images can be at most 10 MB" in response.get_data(as_text=True)
    assert _count(db) == 0


def test_a_stored_file_is_public_with_an_immutable_cache(app, marketer_client, db):
    _upload(marketer_client, jpeg_with_gps())
    media = db.session.scalar(select(Media))
    anonymous = app.test_client()
    response = anonymous.get(f"/media/{media.file_1x}")
    response.close()  # the file stays open until then
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert anonymous.get("/media/../tidings.db").status_code == 404
    assert anonymous.get("/media/" + "0" * 64 + ".jpg").status_code == 404


def test_a_reviewer_sees_the_library_but_cannot_upload(app, client, auth, reviewer, db):
    auth.login(reviewer)
    page = client.get("/media-library")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' not in page.get_data(as_text=True)
    assert _upload(client, jpeg_with_gps()).status_code == 403
    assert _count(db) == 0
