"""The audience size and status counts a marketer sees are exact: the kept counts always equal counting the list,
whatever changed it (signup, unsubscribe, topics, suppressions, bulk statements, erasure), on both databases."""

from datetime import UTC, datetime
from itertools import combinations

from sqlalchemy import delete, func, insert, select, update

from service.extensions import db
from service.models import Subscriber, SubscriberTopic, Suppression
from service.subscribers.audience import audience_size, counted_audience
from service.subscribers.identity import email_hash
from service.subscribers.listing import status_counts
from service.subscribers.signup import set_topics
from service.subscribers.suppressions import ensure_suppressed, lift_for_owner
from service.subscribers.unsubscribe import unsubscribe
from tests.factories import add_subscriber

TOPICS = ("newsletter", "kap", "events")


def assert_counts_exact() -> None:
    db.session.flush()
    counted = dict(db.session.execute(select(Subscriber.status, func.count()).group_by(Subscriber.status)).all())
    assert {status: n for status, n in status_counts(db.session).items() if n} == counted
    for size in (1, 2, 3):
        for topics in combinations(TOPICS, size):
            assert audience_size(db.session, list(topics)) == counted_audience(db.session, list(topics)), topics


def test_counts_follow_every_kind_of_change(app):
    ann = add_subscriber(app, "ann@example.org", topics=["newsletter"])
    ben = add_subscriber(app, "ben@example.org", topics=["newsletter", "kap"])
    cat = add_subscriber(app, "cat@example.org", topics=["events"])
    assert audience_size(db.session, ["newsletter"]) == 2
    assert audience_size(db.session, ["newsletter", "kap"]) == 2, "a subscriber of both topics counts once"
    assert_counts_exact()

    set_topics(ben, ["kap"])
    assert_counts_exact()
    unsubscribe(db.session, ann, datetime.now(UTC))
    assert_counts_exact()
    ensure_suppressed(db.session, cat.email_hash, "dropped")  # SendGrid's own suppression: still "confirmed"
    assert_counts_exact()
    assert audience_size(db.session, ["events"]) == 0
    lift_for_owner(db.session, ann.email_hash)
    db.session.execute(update(Subscriber).where(Subscriber.id == ann.id).values(status="confirmed"))
    assert_counts_exact()
    db.session.delete(ben)
    assert_counts_exact()
    db.session.commit()
    assert audience_size(db.session, list(TOPICS)) == 1


def test_counts_follow_bulk_statements_and_a_rollback(app):
    now = datetime.now(UTC)
    rows = [
        {
            "email": f"reader{number}@example.org",
            "email_hash": email_hash(f"reader{number}@example.org", app.config["SECRET_KEY"]),
            "status": "confirmed" if number % 4 else "pending",
            "created_at": now,
        }
        for number in range(40)
    ]
    db.session.execute(insert(Subscriber), rows)
    ids = list(db.session.scalars(select(Subscriber.id).order_by(Subscriber.id)))
    db.session.execute(insert(SubscriberTopic), [{"subscriber_id": i, "topic": TOPICS[i % 3]} for i in ids])
    db.session.execute(insert(SubscriberTopic), [{"subscriber_id": i, "topic": "kap"} for i in ids if i % 3 == 0])
    assert_counts_exact()
    db.session.commit()

    db.session.execute(update(Subscriber).where(Subscriber.id < ids[10]).values(status="unsubscribed"))
    db.session.execute(delete(SubscriberTopic).where(SubscriberTopic.topic == "events"))
    db.session.execute(
        insert(Suppression),
        [{"email_hash": row["email_hash"], "reason": "bounced", "created_at": now} for row in rows[30:]],
    )
    assert_counts_exact()
    db.session.rollback()
    assert_counts_exact()
    db.session.execute(delete(Subscriber).where(Subscriber.id > ids[20]))
    db.session.execute(delete(Suppression))
    assert_counts_exact()
