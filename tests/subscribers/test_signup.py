"""Signing up: double opt-in, the consent record, and the same outward answer for known and unknown addresses."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Subscriber, Suppression
from service.subscribers.identity import email_hash
from service.subscribers.signup import (
    Mail,
    SignupInput,
    SignupInputError,
    confirm,
    confirmation_sent,
    request_signup,
)
from service.subscribers.suppressions import ensure_suppressed
from service.subscribers.unsubscribe import unsubscribe
from tests.factories import add_subscriber

NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def sign_up(app, email: str, topics=("newsletter",), first_name: str = "", source: str = "form", now=NOW):
    outcome = request_signup(
        db.session,
        SignupInput(email, first_name, tuple(topics), source),
        known_topics=app.config["SUBSCRIBER_TOPICS"],
        hash_key=app.config["EMAIL_HASH_KEY"],
        now=now,
    )
    db.session.commit()
    return outcome


def test_a_new_address_is_pending_with_a_consent_record_until_confirmed(app):
    outcome = sign_up(app, "  Ana.Lopez@Example.ORG ", topics=("kap", "newsletter"), first_name=" Ana  ", source="api")
    assert outcome.mail is Mail.CONFIRM
    subscriber = outcome.subscriber
    assert subscriber.email == "ana.lopez@example.org"
    assert subscriber.email_hash == email_hash("ana.lopez@example.org", app.config["EMAIL_HASH_KEY"])
    assert subscriber.status == "pending"
    assert subscriber.first_name == "Ana"
    assert subscriber.topics == ["kap", "newsletter"]
    assert (subscriber.consent_at, subscriber.consent_source, subscriber.confirmed_at) == (NOW, "api", None)

    later = NOW + timedelta(hours=3)
    assert confirm(db.session, subscriber, later) is True
    db.session.commit()
    assert (subscriber.status, subscriber.confirmed_at) == ("confirmed", later)
    assert confirm(db.session, subscriber, later) is False, "confirming twice changes nothing"


def test_bad_input_names_each_field_and_never_repeats_the_address(app):
    with pytest.raises(SignupInputError) as caught:
        sign_up(app, "not-an-address@", topics=("astrology",), first_name="x" * 101)
    errors = caught.value.errors
    assert set(errors) == {"email", "topics", "first_name"}
    assert "not-an-address" not in str(caught.value)
    with pytest.raises(SignupInputError) as caught:
        sign_up(app, "ana@example.org", topics=())
    assert caught.value.errors == {"topics": "Choose at least one topic."}


def test_a_confirmed_address_is_left_alone_and_its_owner_is_told(app):
    existing = add_subscriber(app, "ben@example.org", topics=("events",), first_name="Ben")
    outcome = sign_up(app, "BEN@example.org", topics=("kap",), first_name="Mallory")
    assert outcome.mail is Mail.ALREADY_SUBSCRIBED
    db.session.refresh(existing)
    assert (existing.topics, existing.first_name, existing.status) == (["events"], "Ben", "confirmed")


def test_repeated_signups_for_one_address_send_at_most_one_email_per_interval(app):
    first = sign_up(app, "cara@example.org")
    confirmation_sent(first.subscriber, NOW)
    db.session.commit()
    assert sign_up(app, "cara@example.org", now=NOW + timedelta(minutes=2)).mail is Mail.NONE
    again = sign_up(app, "cara@example.org", topics=("events",), now=NOW + timedelta(minutes=11))
    assert again.mail is Mail.CONFIRM
    assert again.subscriber.topics == ["events"], "a pending signup takes the newest request's topics"
    assert again.subscriber.consent_at == NOW + timedelta(minutes=11)


@pytest.mark.parametrize("reason", ["erased", "bounced", "complained"])
def test_a_suppressed_address_gets_nothing_however_often_it_signs_up(app, reason):
    ensure_suppressed(db.session, email_hash("dee@example.org", app.config["EMAIL_HASH_KEY"]), reason)
    db.session.commit()
    assert sign_up(app, "dee@example.org").mail is Mail.NONE
    assert db.session.scalar(select(Subscriber)) is None


def test_someone_who_left_can_come_back_only_by_confirming_again(app):
    subscriber = add_subscriber(app, "eve@example.org")
    unsubscribe(db.session, subscriber, NOW)
    db.session.commit()
    assert db.session.scalar(select(Suppression.reason)) == "unsubscribed"

    outcome = sign_up(app, "eve@example.org", topics=("kap",), now=NOW + timedelta(days=1))
    assert outcome.mail is Mail.CONFIRM
    assert subscriber.status == "pending", "not back in any audience before confirming"
    assert db.session.scalar(select(Suppression.reason)) == "unsubscribed"

    confirm(db.session, subscriber, NOW + timedelta(days=1, hours=1))
    db.session.commit()
    assert subscriber.status == "confirmed"
    assert subscriber.unsubscribed_at is None
    assert db.session.scalar(select(Suppression)) is None, "the owner's fresh consent lifts their own unsubscribe"


def test_unsubscribing_is_idempotent_and_suppresses_the_address(app):
    subscriber = add_subscriber(app, "fay@example.org")
    assert unsubscribe(db.session, subscriber, NOW) is True
    db.session.commit()
    assert unsubscribe(db.session, subscriber, NOW + timedelta(hours=1)) is False
    db.session.commit()
    assert (subscriber.status, subscriber.unsubscribed_at) == ("unsubscribed", NOW)
    assert len(db.session.scalars(select(Suppression)).all()) == 1
