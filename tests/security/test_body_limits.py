"""Request bodies are limited before they are read: MAX_CONTENT_LENGTH everywhere, smaller limits for the webhook
and the JSON signup, a larger one for CSV uploads; an oversized article is refused with a message."""

import io

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import EnvironBuilder, stream_encode_multipart

from service.models import Article

MB = 1024 * 1024


@pytest.fixture
def database_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'tidings.db'}"


class VirtualBody(io.RawIOBase):
    """A request body of `size` bytes that is never materialised, and that records how much of it was read."""

    def __init__(self, size: int):
        self.size, self.position, self.read_bytes = size, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = {0: offset, 1: self.position + offset, 2: self.size + offset}[whence]
        return self.position

    def readinto(self, buffer) -> int:
        count = max(0, min(len(buffer), 64 * 1024, self.size - self.position))
        buffer[:count] = b"[" * count
        self.position += count
        self.read_bytes += count
        return count


def post_unread(client, url: str, length: int, content_type: str = "application/json"):
    body = VirtualBody(length)
    response = client.post(url, input_stream=body, content_type=content_type)
    return response, body


def post_multipart(client, url: str, fields: dict):
    """A multipart POST built in memory (the test client spools bodies over 500 KB to a file it never closes)."""
    stream, length, boundary = stream_encode_multipart(fields, use_tempfile=False)
    return client.post(url, input_stream=stream, content_type=f"multipart/form-data; boundary={boundary}")


def test_a_300_mb_webhook_post_is_refused_unread(client):
    response, body = post_unread(client, "/webhooks/sendgrid", 300 * MB)
    assert response.status_code == 413
    assert body.read_bytes == 0


def test_the_webhook_takes_less_than_the_global_limit(app, client):
    response, body = post_unread(client, "/webhooks/sendgrid", app.config["WEBHOOK_MAX_BYTES"] + 1)
    assert response.status_code == 413 and body.read_bytes == 0
    assert "at most 5 MB" in response.get_json()["error"]


def test_json_signup_is_limited_to_a_few_kilobytes(app, client):
    response, body = post_unread(client, "/api/subscribe", 64 * 1024)
    assert response.status_code == 413 and body.read_bytes == 0
    assert response.is_json


def test_a_chunked_body_without_length_stops_at_the_limit(client):
    """No Content-Length: the body is read through a limited stream, which gives up at the route's limit."""
    body = VirtualBody(300 * MB)
    environ = EnvironBuilder(
        path="/api/subscribe", method="POST", input_stream=body, content_type="application/json"
    ).get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True  # what a server sets for a chunked body
    response = client.open(environ)
    assert response.status_code == 413
    assert body.read_bytes <= 16 * 1024 + 64 * 1024


def test_any_other_route_has_the_global_limit(app, as_role):
    client = as_role("marketer")
    response, body = post_unread(client, "/campaigns/new", 3 * MB, "application/x-www-form-urlencoded")
    assert response.status_code == 413 and body.read_bytes == 0
    assert "Too large" in response.get_data(as_text=True)


def test_csv_uploads_may_be_larger_than_the_global_limit(app, as_role):
    client = as_role("marketer")
    row = b"email,first_name,topics\n" + b"".join(b"r%d@example.org,R,newsletter\n" % i for i in range(110_000))
    assert len(row) > app.config["MAX_CONTENT_LENGTH"]
    response = post_multipart(client, "/subscribers/import", {"upload": FileStorage(io.BytesIO(row), "list.csv")})
    assert response.status_code != 413


def test_a_20_mb_article_is_refused_with_a_message(app, as_role, db):
    client = as_role("marketer")
    response, body = post_unread(client, "/articles/import", 20 * MB, "multipart/form-data; boundary=x")
    assert response.status_code == 413 and body.read_bytes == 0
    assert "at most 4 MB" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Article)) == 0


def test_an_article_over_the_article_limit_gets_a_field_error(app, as_role, db):
    client = as_role("marketer")
    text = "# Title\n\n" + ("A sentence about care. " * 70_000)  # about 1.6 MB: under the upload limit
    upload = FileStorage(io.BytesIO(text.encode()), "long.md")
    response = post_multipart(client, "/articles/import", {"upload": upload, "fmt": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Tidings takes articles up to 1.0 MB" in page
    assert db.session.scalar(select(func.count()).select_from(Article)) == 0
