"""Settings: safe development defaults, and production refusing to start without what it needs."""

import pytest

from service.settings import PLACEHOLDER_POSTAL_ADDRESS, SettingsError, load_settings
from service.worker.scheduler import STOP_TIMEOUT_SECONDS

PRODUCTION = {
    "TIDINGS_ENV": "production",
    "SECRET_KEY": "Wq3v9JxT0bK7yLm2Rz8eNd5Hs1Fc6GpUa4Xo-VtQiYk",
    "EMAIL_HASH_KEY": "pX2mK9vR4tL7wQ1zB8nC5yH3jD6fG0sA-EuTiOoPlMk",
    "DATABASE_URL": "postgresql://tidings@db/tidings",
    "PUBLIC_BASE_URL": "https://news.example.org",
}


def test_development_defaults_use_sqlite_and_the_outbox():
    config = load_settings({})
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert config["EMAIL_CHANNEL"] == config["SOCIAL_CHANNEL"] == "outbox"
    assert config["CLINIC_TIMEZONE"] == "America/Phoenix"
    assert config["CLINIC_POSTAL_ADDRESS"] == PLACEHOLDER_POSTAL_ADDRESS
    assert config["TRACKING_ENABLED"] is False


def test_a_provider_request_ends_before_a_stopping_worker_gives_up_on_it():
    config = load_settings({})
    assert config["SENDGRID_TIMEOUT_SECONDS"] < STOP_TIMEOUT_SECONDS
    assert config["X_TIMEOUT_SECONDS"] < STOP_TIMEOUT_SECONDS


def test_production_with_everything_set_starts():
    config = load_settings(PRODUCTION)
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://tidings@db/tidings"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"DATABASE_URL": ""}, "DATABASE_URL"),
        ({"PUBLIC_BASE_URL": "http://news.example.org"}, "PUBLIC_BASE_URL"),
        ({"EMAIL_CHANNEL": "sendgrid"}, "SENDGRID_API_KEY"),
        ({"SOCIAL_CHANNEL": "x"}, "X_CONSUMER_KEY"),
        ({"EMAIL_CHANNEL": "pigeon"}, "EMAIL_CHANNEL"),
        ({"CLINIC_TIMEZONE": "Mars/Olympus"}, "CLINIC_TIMEZONE"),
        ({"TIDINGS_ENV": "staging"}, "TIDINGS_ENV"),
        ({"SENDGRID_TIMEOUT_SECONDS": "50"}, "SENDGRID_TIMEOUT_SECONDS"),
    ],
)
def test_production_refuses_a_missing_or_invalid_setting_and_names_it(change, named):
    with pytest.raises(SettingsError, match=named):
        load_settings({**PRODUCTION, **change})


def test_the_blog_is_fetched_only_from_the_clinics_own_site_by_default():
    config = load_settings({})
    assert config["BLOG_ALLOWED_HOSTS"] == ["www.daytryphealth.com"]
    assert config["BLOG_ALLOW_PRIVATE_ADDRESSES"] is False
    assert config["BLOG_MAX_BYTES"] == 5 * 1024 * 1024
    assert config["BLOG_FEED_URL"] == ""


def test_the_blog_hosts_can_be_listed():
    config = load_settings({"BLOG_ALLOWED_HOSTS": "www.daytryphealth.com, Blog.Daytryphealth.com."})
    assert config["BLOG_ALLOWED_HOSTS"] == ["www.daytryphealth.com", "blog.daytryphealth.com"]


@pytest.mark.parametrize(
    ("feed_url", "named"),
    [("ftp://www.daytryphealth.com/feed", "http:// or https://"), ("https://evil.example/feed", "BLOG_ALLOWED_HOSTS")],
)
def test_a_feed_outside_the_allowed_hosts_is_refused_at_start(feed_url, named):
    with pytest.raises(SettingsError, match=named):
        load_settings({"BLOG_FEED_URL": feed_url})


def test_production_refuses_to_fetch_from_private_addresses():
    with pytest.raises(SettingsError, match="BLOG_ALLOW_PRIVATE_ADDRESSES"):
        load_settings({**PRODUCTION, "BLOG_ALLOW_PRIVATE_ADDRESSES": "1"})
