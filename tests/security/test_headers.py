"""Security headers on every page: a strict Content-Security-Policy (no inline script anywhere), no framing,
nosniff, a Referrer-Policy (no-referrer where a token is in the URL), and HSTS in production."""

import re
import secrets
from pathlib import Path

import pytest
from werkzeug.routing import IntegerConverter

from service import create_app
from service.rendering.clinic import ClinicInfo
from service.subscribers import links
from tests.app_config import base_config
from tests.factories import add_subscriber

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I | re.S)
# A script element without src runs inline, unless it is a JSON data block (never executed; a static file reads it).
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\btype=\"application/json\")[^>]*>", re.I)


@pytest.fixture
def database_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'tidings.db'}"


def sample_url(rule) -> str:
    values = {name: "1" if isinstance(rule._converters[name], IntegerConverter) else "x" for name in rule.arguments}
    if rule.endpoint == "static":
        values["filename"] = "app.css"
    return rule.build(values, append_unknown=False)[1]


def get_pages(app, client) -> list[tuple[str, object]]:
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods:
            url = sample_url(rule)
            response = client.get(url)
            response.close()  # headers are all we need; static files stay open otherwise
            pages.append((url, response))
    return pages


def assert_page_headers(url: str, response) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp or "frame-ancestors 'self'" in csp, url
    assert "'unsafe-inline'" not in _directive(csp, "script-src") and "'unsafe-eval'" not in csp, url
    assert _directive(csp, "script-src") or "default-src 'none'" in csp, url
    assert response.headers.get("X-Frame-Options") in ("DENY", "SAMEORIGIN"), url
    assert response.headers.get("X-Content-Type-Options") == "nosniff", url
    assert response.headers.get("Referrer-Policy"), url


def _directive(csp: str, name: str) -> str:
    for part in csp.split(";"):
        if part.strip().startswith(name + " "):
            return part.strip()
    return ""


@pytest.mark.parametrize("role", [None, "marketer", "admin"])
def test_every_get_route_has_the_security_headers(app, as_role, role):
    client = as_role(role)
    pages = get_pages(app, client)
    html = [(url, response) for url, response in pages if response.mimetype == "text/html"]
    assert len(html) >= 10
    for url, response in pages:
        assert_page_headers(url, response)


def test_staff_pages_cannot_be_framed_at_all(app, as_role):
    response = as_role("marketer").get("/campaigns")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_token_pages_send_no_referrer(app, client):
    subscriber = add_subscriber(app, "reader@example.org", status="pending")
    clinic = ClinicInfo.from_config(app.config)
    url = links.confirm_url(clinic, app.config["SECRET_KEY"], subscriber.id)
    response = client.get(url.removeprefix(clinic.public_base_url))
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_no_hsts_in_development(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_hsts_in_production(tmp_path):
    config = {
        **base_config(tmp_path, f"sqlite:///{tmp_path / 'prod.db'}"),
        "TIDINGS_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "EMAIL_HASH_KEY": secrets.token_urlsafe(48),
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
    }
    app = create_app(config)
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_no_template_has_inline_script_or_event_handlers():
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text("utf-8")
        if INLINE_SCRIPT.search(text) or INLINE_HANDLER.search(text) or "javascript:" in text.lower():
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []
