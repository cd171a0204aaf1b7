"""The outbox viewer shows recipients' addresses and confirmation links: admins only, and not there in production."""

import secrets

import pytest

from service import create_app
from tests.app_config import base_config

OUTBOX_URLS = ("/outbox", "/outbox/email/x", "/outbox/email/x/body.html")


@pytest.fixture
def database_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'tidings.db'}"


@pytest.mark.parametrize("role", ["marketer", "reviewer"])
def test_only_admins_see_the_outbox(as_role, role):
    client = as_role(role)
    for url in OUTBOX_URLS:
        assert client.get(url).status_code == 403, url
    assert 'href="/outbox"' not in client.get("/campaigns").get_data(as_text=True)


def test_admins_see_the_outbox_and_its_link(as_role):
    client = as_role("admin")
    assert client.get("/outbox").status_code == 200
    assert 'href="/outbox"' in client.get("/campaigns").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_log_in(as_role):
    response = as_role(None).get("/outbox")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_production_has_no_outbox_routes(tmp_path):
    config = {
        **base_config(tmp_path, f"sqlite:///{tmp_path / 'prod.db'}"),
        "TIDINGS_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "EMAIL_HASH_KEY": secrets.token_urlsafe(48),
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
    }
    app = create_app(config)
    assert not [rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("outbox.")]
    assert app.test_client().get("/outbox").status_code == 404
