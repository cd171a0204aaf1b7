"""Sessions end when they should: logout, deactivation and a password change end every session of the account; an
idle session ends after 8 hours and any session after 7 days; cookies are HttpOnly, SameSite=Lax, Secure in
production."""

import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from service.accounts import team
from service.extensions import db
from service.settings import load_settings
from service.web.auth import SEEN_AT, SIGNED_IN_AT
from tests.factories import make_user
from tests.security.signing_in import log_in


@pytest.fixture
def admin(app):
    return make_user("admin@example.org", "admin")


def second_browser(app, user):
    other = app.test_client()
    log_in(other, user)
    return other


def signed_in(client) -> bool:
    # A fresh app context, as each real request has: nothing cached from the test's own (g, the session).
    with client.application.app_context():
        return client.get("/campaigns").status_code == 200


def test_logging_out_ends_every_session_of_the_account(app, marketer_client, marketer):
    other = second_browser(app, marketer)
    stolen_cookie = marketer_client.get_cookie("session").value
    marketer_client.post("/logout")
    assert not signed_in(other)
    replay = app.test_client()
    replay.set_cookie("session", stolen_cookie)
    assert not signed_in(replay), "an old cookie no longer works after logout"


def test_deactivation_ends_every_session(app, marketer_client, marketer, admin):
    team.deactivate(db.session, marketer, admin)
    db.session.commit()
    assert not signed_in(marketer_client)


def test_a_password_change_ends_every_other_session(app, marketer_client, marketer):
    other = second_browser(app, marketer)
    response = marketer_client.post(
        "/account", data={"current_password": "correct-horse-battery", "new_password": "Plum tree at the far gate 7"}
    )
    assert response.status_code == 302
    assert signed_in(marketer_client), "the browser that changed it stays signed in"
    assert not signed_in(other)


def test_an_idle_session_ends_after_eight_hours(app, marketer_client):
    with marketer_client.session_transaction() as session:
        session[SEEN_AT] = int(time.time()) - 8 * 3600 - 60
    assert not signed_in(marketer_client)


def test_a_session_ends_after_seven_days_however_busy(app, marketer_client):
    with marketer_client.session_transaction() as session:
        session[SIGNED_IN_AT] = int(time.time()) - 7 * 86400 - 60
    assert not signed_in(marketer_client)


def test_an_active_session_keeps_going(app, marketer_client):
    with marketer_client.session_transaction() as session:
        session[SEEN_AT] = int(time.time()) - 7 * 3600
    assert signed_in(marketer_client)


def test_session_cookies_are_http_only_and_same_site_lax(app, client, marketer):
    app.config["WTF_CSRF_ENABLED"] = False
    response = client.post("/login", data={"email": marketer.email, "password": "correct-horse-battery"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_cookies_are_secure_in_production():
    config = load_settings(
        {
            "TIDINGS_ENV": "production",
            "SECRET_KEY": "Wq3v9JxT0bK7yLm2Rz8eNd5Hs1Fc6GpUa4Xo-VtQiYk",
            "EMAIL_HASH_KEY": "pX2mK9vR4tL7wQ1zB8nC5yH3jD6fG0sA-EuTiOoPlMk",
            "DATABASE_URL": "postgresql://tidings@db/tidings",
            "PUBLIC_BASE_URL": "https://news.example.org",
        }
    )
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["REMEMBER_COOKIE_HTTPONLY"] and config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert load_settings({})["SESSION_COOKIE_SECURE"] is False, "development runs on http://127.0.0.1"


def test_the_browser_keeps_the_session_cookie_no_longer_than_a_session_lasts(app, client, marketer):
    app.config["WTF_CSRF_ENABLED"] = False
    cookie = client.post("/login", data={"email": marketer.email, "password": "correct-horse-battery"}).headers[
        "Set-Cookie"
    ]
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    assert expires - datetime.now(UTC) < timedelta(days=7, minutes=1)
