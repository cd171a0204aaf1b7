"""SECRET_KEY: production refuses published and guessable keys; a rotation keeps links already sent working."""

import re
from pathlib import Path

import pytest

from service.settings import SettingsError, load_settings
from service.signing_keys import generate_key
from tests.security.signing_in import signup_form
from tests.subscribers.helpers import path_of

REPO_ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "Wq3v9JxT0bK7yLm2Rz8eNd5Hs1Fc6GpUa4Xo-VtQiYk"
PRODUCTION = {
    "TIDINGS_ENV": "production",
    "SECRET_KEY": GOOD_KEY,
    "EMAIL_HASH_KEY": "pX2mK9vR4tL7wQ1zB8nC5yH3jD6fG0sA-EuTiOoPlMk",
    "DATABASE_URL": "postgresql://tidings@db/tidings",
    "PUBLIC_BASE_URL": "https://news.example.org",
}


def published_keys() -> set[str]:
    """Every key value our docs and examples show for SECRET_KEY or EMAIL_HASH_KEY."""
    text = "\n".join((REPO_ROOT / name).read_text("utf-8") for name in (".env.example", "README.md"))
    keys = set(re.findall(r"^(?:SECRET_KEY|EMAIL_HASH_KEY|SECRET_KEY_FALLBACKS)=(\S+)", text, re.MULTILINE))
    return keys | {load_settings({})["SECRET_KEY"]}


def test_production_starts_with_strong_keys():
    assert load_settings(PRODUCTION)["SECRET_KEY"] == GOOD_KEY


@pytest.mark.parametrize("key", sorted(published_keys()))
def test_production_refuses_a_key_printed_in_the_docs(key):
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings({**PRODUCTION, "SECRET_KEY": key})


@pytest.mark.parametrize(
    "key",
    [
        "a" * 32,
        "0123456789abcdefghijklmnopqrstuvwxyz",
        "correct horse battery staple is a long phrase ok",
        "the-clinic-newsletter-secret-key-for-production-2026",
        "passwordpasswordpasswordpassword",
        "qwertyuiopasdfghjklzxcvbnm1234567890",
    ],
)
def test_production_refuses_a_guessable_key(key):
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings({**PRODUCTION, "SECRET_KEY": key})


def test_production_refuses_a_weak_fallback_or_hash_key():
    with pytest.raises(SettingsError, match="SECRET_KEY_FALLBACKS"):
        load_settings({**PRODUCTION, "SECRET_KEY_FALLBACKS": f"{'a' * 40},{GOOD_KEY[::-1]}"})
    with pytest.raises(SettingsError, match="EMAIL_HASH_KEY"):
        load_settings({**PRODUCTION, "EMAIL_HASH_KEY": ""})
    with pytest.raises(SettingsError, match="EMAIL_HASH_KEY"):
        load_settings({**PRODUCTION, "EMAIL_HASH_KEY": "dev-only-not-secret"})


def test_flask_secrets_generate_prints_a_key_production_accepts(runner):
    printed = {runner.invoke(args=["secrets", "generate"]).output.strip() for _ in range(5)}
    assert len(printed) == 5, "a new key every time"
    for key in printed:
        assert load_settings({**PRODUCTION, "SECRET_KEY": key})["SECRET_KEY"] == key
    for _ in range(50):
        load_settings({**PRODUCTION, "SECRET_KEY": generate_key()})


def test_fallbacks_come_from_the_environment_oldest_first():
    config = load_settings({**PRODUCTION, "SECRET_KEY_FALLBACKS": f"{GOOD_KEY[::-1]}, {GOOD_KEY.upper()}"})
    assert config["SECRET_KEY_FALLBACKS"] == [GOOD_KEY[::-1], GOOD_KEY.upper()]


def rotate(app) -> None:
    app.config["SECRET_KEY_FALLBACKS"] = [app.config["SECRET_KEY"]]
    app.config["SECRET_KEY"] = generate_key()


def test_a_confirmation_link_sent_before_a_rotation_still_confirms(app, client, outbox):
    signup_form(client, email="ana@example.org")
    confirm = path_of(outbox.emails_to("ana@example.org")[0].link("/confirm/"))
    rotate(app)
    page = client.post(confirm).get_data(as_text=True)
    assert "subscribed" in page.lower() and "not valid" not in page


def test_a_link_signed_with_a_retired_key_is_refused(app, client, outbox):
    signup_form(client, email="ana@example.org")
    confirm = path_of(outbox.emails_to("ana@example.org")[0].link("/confirm/"))
    rotate(app)
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert "not valid" in client.post(confirm).get_data(as_text=True)


def test_a_session_from_before_a_rotation_stays_logged_in(app, marketer_client):
    rotate(app)
    assert marketer_client.get("/campaigns").status_code == 200
