"""Password guessing: limited per account and per client address, refused in the same time whether or not the
account exists, and every refusal logged and audited without the password or the address."""

import logging
import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from service.accounts import two_factor
from service.extensions import db, limiter
from service.models import AuditEntry
from tests.app_config import base_config
from tests.factories import make_user


@pytest.fixture
def app_config(tmp_path, database_url):
    config = base_config(tmp_path, database_url)
    config.update(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        WTF_CSRF_ENABLED=False,
        LOGIN_ACCOUNT_RATE_LIMIT="5 per minute",
        LOGIN_ADDRESS_RATE_LIMIT="20 per minute",
    )
    return config


@pytest.fixture(autouse=True)
def fresh_counters(app):
    limiter.reset()


def attempt(client, email, password, address="10.0.0.1"):
    return client.post("/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address})


def test_an_account_locks_after_five_wrong_passwords_even_from_many_addresses(app, client, marketer):
    for n in range(5):
        assert attempt(client, marketer.email, f"wrong-{n}", address=f"10.0.0.{n}").status_code == 401
    right = attempt(client, marketer.email, "correct-horse-battery", address="10.0.0.99")
    assert right.status_code == 429, "the right password no longer works for a while"
    assert attempt(client, "someone-else@example.org", "wrong", address="10.0.0.99").status_code == 401


def test_one_address_is_limited_across_accounts(app, client):
    for n in range(20):
        assert attempt(client, f"user{n}@example.org", "wrong").status_code == 401
    assert attempt(client, "another@example.org", "wrong").status_code == 429
    assert attempt(client, "another@example.org", "wrong", address="10.9.9.9").status_code == 401


def test_signing_in_at_the_first_try_uses_up_nothing(app, client, marketer):
    for _ in range(8):
        assert attempt(client, marketer.email, "correct-horse-battery").status_code == 302
        client.post("/logout")


def test_an_unknown_account_takes_as_long_as_a_known_one(app, client, marketer):
    def timed(email):
        # This thread's CPU time (the test client runs the app in it): the password hashing is CPU work, and a busy
        # machine slows the wall clock of either kind at random.
        started = time.thread_time()
        attempt(client, email, "wrong-password", address=f"10.1.{len(email)}.{int(time.time() * 1000) % 250}")
        return time.thread_time() - started

    known = min(timed(marketer.email) for _ in range(3))
    unknown = min(timed(f"nobody{n}@example.org") for n in range(3))
    assert unknown > known * 0.5, f"unknown {unknown * 1000:.0f} ms vs known {known * 1000:.0f} ms"


def test_a_refused_login_is_logged_and_audited_without_password_or_address(app, client, marketer, caplog):
    caplog.set_level(logging.INFO)
    attempt(client, marketer.email, "Secret-Guess-123")
    attempt(client, "stranger@example.org", "Other-Guess-456")
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "login:failed")).all()
    assert len(entries) == 2
    assert f"account #{marketer.id}" in entries[0].detail and "unknown account" in entries[1].detail
    written = caplog.text + " ".join(entry.detail for entry in entries)
    assert "login refused" in caplog.text
    for secret in ("Secret-Guess-123", "Other-Guess-456", "@example.org", "stranger"):
        assert secret not in written


def test_a_deactivated_account_cannot_sign_in(app, client):
    user = make_user("gone@example.org", "marketer")
    user.active = False
    db.session.commit()
    assert attempt(client, user.email, "correct-horse-battery").status_code == 401


def test_two_factor_codes_are_limited_per_account(app, client, marketer):
    secret = two_factor.new_secret()
    earlier = datetime.now(UTC) - timedelta(seconds=60)
    two_factor.enable(db.session, marketer, secret, pyotp.TOTP(secret).at(earlier), earlier)
    db.session.commit()
    for n in range(5):
        attempt(client, marketer.email, "correct-horse-battery", address=f"10.2.0.{n}")
        assert client.post("/login/code", data={"code": f"00000{n}"}).status_code == 401
    attempt(client, marketer.email, "correct-horse-battery", address="10.2.0.99")
    assert client.post("/login/code", data={"code": pyotp.TOTP(secret).now()}).status_code == 429
