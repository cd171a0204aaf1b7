"""Subscriber links carry a signed id, never an address, and are refused once they are older than what they act on."""

from datetime import UTC, datetime, timedelta

import pytest

from service.extensions import db
from service.models import Subscriber
from service.rendering.clinic import ClinicInfo
from service.subscribers import links
from service.subscribers.tokens import TokenError, make_token
from tests.factories import add_subscriber
from tests.subscribers.helpers import token_made_days_ago


def test_links_name_the_subscriber_by_token_only(app):
    # A local part long enough that a random signature cannot contain it by chance ("ana" once did).
    subscriber = add_subscriber(app, "ana.lopez-ortiz@example.org")
    clinic = ClinicInfo.from_config(app.config)
    for url in (
        links.confirm_url(clinic, app.config["SECRET_KEY"], subscriber.id),
        links.preferences_url(clinic, app.config["SECRET_KEY"], subscriber.id),
        links.unsubscribe_url(clinic, app.config["SECRET_KEY"], subscriber.id),
    ):
        assert url.startswith("https://tidings.test/")
        assert "ana.lopez-ortiz" not in url and "%40" not in url and "@" not in url


def test_a_tampered_or_wrong_purpose_token_is_refused(app):
    subscriber = add_subscriber(app, "ana@example.org")
    secret = app.config["SECRET_KEY"]
    token = make_token(secret, "unsubscribe", subscriber.id)
    with pytest.raises(TokenError) as caught:
        links.subscriber_for(db.session, secret, "unsubscribe", token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    assert not caught.value.expired
    with pytest.raises(TokenError):
        links.subscriber_for(db.session, secret, "confirm", token)
    with pytest.raises(TokenError):
        links.subscriber_for(db.session, "another-secret-key-of-sufficient-length", "unsubscribe", token)


def test_a_confirmation_link_expires(app):
    subscriber = add_subscriber(app, "ana@example.org", status="pending")
    secret = app.config["SECRET_KEY"]
    old = token_made_days_ago(secret, "confirm", subscriber.id, 8)
    with pytest.raises(TokenError) as caught:
        links.subscriber_for(db.session, secret, "confirm", old, max_age_seconds=7 * 86400)
    assert caught.value.expired


def test_a_confirmation_link_from_before_the_latest_signup_request_is_refused(app):
    subscriber = add_subscriber(app, "ana@example.org", status="pending")
    secret = app.config["SECRET_KEY"]
    subscriber.created_at = datetime.now(UTC) - timedelta(days=3)
    subscriber.consent_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    older = token_made_days_ago(secret, "confirm", subscriber.id, 1)
    with pytest.raises(TokenError):
        links.subscriber_for(db.session, secret, "confirm", older, max_age_seconds=7 * 86400)
    fresh = make_token(secret, "confirm", subscriber.id)
    assert links.subscriber_for(db.session, secret, "confirm", fresh, max_age_seconds=7 * 86400) is subscriber


def test_a_link_made_before_its_subscriber_existed_belongs_to_someone_else(app):
    """SQLite may hand an erased subscriber's id to the next one; the old person's links must not reach them."""
    secret = app.config["SECRET_KEY"]
    subscriber = add_subscriber(app, "new@example.org")
    stale_preferences = token_made_days_ago(secret, "preferences", subscriber.id, 0.5)
    assert links.subscriber_for(db.session, secret, "preferences", stale_preferences) is None
    stale_unsubscribe = token_made_days_ago(secret, "unsubscribe", subscriber.id, 3)
    assert links.subscriber_for(db.session, secret, "unsubscribe", stale_unsubscribe) is None
    # The worker's clock may lag the web host's a little: a recent unsubscribe link still works.
    lagging = token_made_days_ago(secret, "unsubscribe", subscriber.id, 0.5)
    assert links.subscriber_for(db.session, secret, "unsubscribe", lagging) is subscriber


def test_a_link_for_an_erased_subscriber_finds_no_one(app):
    secret = app.config["SECRET_KEY"]
    subscriber = add_subscriber(app, "gone@example.org")
    token = make_token(secret, "unsubscribe", subscriber.id)
    db.session.delete(db.session.get(Subscriber, subscriber.id))
    db.session.commit()
    assert links.subscriber_for(db.session, secret, "unsubscribe", token) is None
