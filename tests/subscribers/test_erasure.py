"""Erasure on request: the person's data goes, the send ledger stays (pointing at no one), the hash stays suppressed."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry, Delivery, Subscriber, Suppression
from service.subscribers.erasure import erase_subscriber
from service.subscribers.identity import email_hash
from service.subscribers.signup import Mail, SignupInput, request_signup
from service.subscribers.unsubscribe import unsubscribe
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.factories import add_subscriber, approve_and_schedule, draft_campaign, import_seed


def test_erasing_someone_who_was_mailed(app, marketer, reviewer, seed_article_text):
    ana = add_subscriber(app, "ana@example.org", first_name="Ana")
    now = datetime.now(UTC)
    send_at = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
    snippet = import_seed(seed_article_text).snippets[1]
    campaign = draft_campaign(app, marketer, [snippet.id], send_at, send_post=False)
    approve_and_schedule(app, campaign, marketer, reviewer, now)
    run_due_messages(db.session, WorkerContext.from_config(app.config, clock=lambda: send_at + timedelta(seconds=1)))
    ana_id = ana.id

    erase_subscriber(db.session, ana, actor=marketer)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Subscriber, ana_id) is None
    [delivery] = db.session.scalars(select(Delivery).where(Delivery.channel == "email")).all()
    assert (delivery.subscriber_id, delivery.status) == (None, "sent"), "campaign counts stay right"
    hashed = email_hash("ana@example.org", app.config["EMAIL_HASH_KEY"])
    assert db.session.scalar(select(Suppression.reason).where(Suppression.email_hash == hashed)) == "erased"
    details = " ".join(db.session.scalars(select(AuditEntry.detail)))
    assert "ana@" not in details and "Ana" not in details

    outcome = request_signup(
        db.session,
        SignupInput("ana@example.org", "Ana", ("kap",), "form"),
        known_topics=app.config["SUBSCRIBER_TOPICS"],
        hash_key=app.config["EMAIL_HASH_KEY"],
        now=datetime.now(UTC),
    )
    assert outcome.mail is Mail.NONE


def test_an_erasure_outranks_an_earlier_unsubscribe(app, marketer):
    ana = add_subscriber(app, "ana@example.org")
    unsubscribe(db.session, ana, datetime.now(UTC))
    db.session.commit()
    erase_subscriber(db.session, ana, actor=marketer)
    db.session.commit()
    # "unsubscribed" could be lifted by a new confirmed signup; "erased" never can.
    assert db.session.scalars(select(Suppression.reason)).all() == ["erased"]
