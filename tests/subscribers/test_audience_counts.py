"""The audience size and status counts a marketer sees are exact: the kept counts always equal counting the list,
whatever changed it (signup, unsubscribe, topics, suppressions, bulk statements, erasure), on both databases."""

import threading
import time
from datetime import UTC, datetime, timedelta
from itertools import combinations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, func, insert, literal, select, text, update

from service.extensions import db
from service.models import AudienceCount, Subscriber, SubscriberTopic, Suppression
from service.models.subscribers import new_public_id
from service.settings import REPO_ROOT
from service.subscribers.audience import audience_size, counted_audience
from service.subscribers.audience_counts import FUNCTIONS, mend_audience_counts
from service.subscribers.identity import email_hash
from service.subscribers.listing import status_counts
from service.subscribers.signup import set_topics
from service.subscribers.suppressions import ensure_suppressed, lift_for_owner
from service.subscribers.unsubscribe import unsubscribe
from service.worker.context import WorkerContext
from service.worker.scheduler import build_scheduler
from tests import schema
from tests.factories import add_subscriber
from tests.subscribers.races import race

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


def test_topic_rows_changed_in_place_are_counted(app):
    ann = add_subscriber(app, "ann@example.org", topics=["newsletter"])
    ben = add_subscriber(app, "ben@example.org", topics=["newsletter", "kap"])
    add_subscriber(app, "cat@example.org", status="pending", topics=["newsletter"])
    topic_rows = update(SubscriberTopic)

    db.session.execute(topic_rows.where(SubscriberTopic.topic == "newsletter").values(topic="events"))
    assert_counts_exact()
    assert audience_size(db.session, ["newsletter"]) == 0 and audience_size(db.session, ["events"]) == 2
    db.session.execute(topic_rows.where(SubscriberTopic.topic == "kap").values(subscriber_id=ann.id))
    assert_counts_exact()
    assert audience_size(db.session, ["kap"]) == 1
    db.session.execute(topic_rows.where(SubscriberTopic.subscriber_id == ben.id).values(topic="events"))
    assert_counts_exact()


def skip_unless_postgresql() -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL keeps the counts")


def test_a_topic_change_racing_a_change_of_status_is_counted_with_the_status_that_won(app):
    skip_unless_postgresql()
    ann = add_subscriber(app, "ann@example.org", status="pending", topics=["newsletter"])
    ann_status = update(Subscriber).where(Subscriber.id == ann.id)
    for first, second in (
        (ann_status.values(status="confirmed"), insert(SubscriberTopic).values(subscriber_id=ann.id, topic="kap")),
        (delete(SubscriberTopic).where(SubscriberTopic.topic == "kap"), ann_status.values(status="unsubscribed")),
        (insert(SubscriberTopic).values(subscriber_id=ann.id, topic="events"), ann_status.values(status="confirmed")),
        (ann_status.values(status="unsubscribed"), delete(SubscriberTopic).where(SubscriberTopic.topic == "events")),
    ):
        race(first, second)
        assert_counts_exact()


def test_a_topic_change_racing_a_suppression_is_counted_with_the_suppression_that_won(app):
    skip_unless_postgresql()
    ann = add_subscriber(app, "ann@example.org", topics=["newsletter"])
    suppressed = insert(Suppression).values(email_hash=ann.email_hash, reason="bounced")
    lifted = delete(Suppression).where(Suppression.email_hash == ann.email_hash)
    for first, second in (
        (suppressed, insert(SubscriberTopic).values(subscriber_id=ann.id, topic="kap")),
        (lifted, delete(SubscriberTopic).where(SubscriberTopic.topic == "kap")),
        (insert(SubscriberTopic).values(subscriber_id=ann.id, topic="events"), suppressed),
        (delete(SubscriberTopic).where(SubscriberTopic.topic == "events"), lifted),
    ):
        race(first, second)
        assert_counts_exact()


def test_two_topic_changes_racing_for_one_subscriber_are_both_counted(app):
    skip_unless_postgresql()
    ann = add_subscriber(app, "ann@example.org", topics=["newsletter"])
    for first, second in (
        (
            insert(SubscriberTopic).values(subscriber_id=ann.id, topic="kap"),
            insert(SubscriberTopic).values(subscriber_id=ann.id, topic="events"),
        ),
        (
            delete(SubscriberTopic).where(SubscriberTopic.topic == "kap"),
            delete(SubscriberTopic).where(SubscriberTopic.topic == "events"),
        ),
    ):
        race(first, second)
        assert_counts_exact()


def test_a_suppression_racing_a_change_of_status_or_an_erasure_is_counted_once(app):
    skip_unless_postgresql()
    ann = add_subscriber(app, "ann@example.org", topics=["newsletter"])
    ann_status = update(Subscriber).where(Subscriber.id == ann.id)
    suppressed = insert(Suppression).values(email_hash=ann.email_hash, reason="bounced")
    lifted = delete(Suppression).where(Suppression.email_hash == ann.email_hash)
    for first, second in (
        (suppressed, ann_status.values(status="unsubscribed")),
        (ann_status.values(status="confirmed"), lifted),
        (ann_status.values(status="unsubscribed"), suppressed),
        (lifted, ann_status.values(status="confirmed")),
        (delete(Subscriber).where(Subscriber.id == ann.id), suppressed),
    ):
        race(first, second)
        assert_counts_exact()


def confirmed_signup(app, address: str) -> tuple:
    """The statements inserting a confirmed subscriber of "newsletter", as an import writes one: the subscriber, then
    its topic."""
    subscriber = insert(Subscriber).values(
        public_id=new_public_id(),
        email=address,
        email_hash=email_hash(address, app.config["EMAIL_HASH_KEY"]),
        first_name="",
        status="confirmed",
        consent_source="test",
        created_at=datetime.now(UTC),
    )
    topic = insert(SubscriberTopic).from_select(
        ["subscriber_id", "topic"],
        select(Subscriber.id, literal("newsletter")).where(Subscriber.email == address),
    )
    return subscriber, topic


def test_the_workers_daily_mending_corrects_counts_that_drifted(app, caplog):
    skip_unless_postgresql()
    add_subscriber(app, "ann@example.org", topics=["newsletter"])
    add_subscriber(app, "ben@example.org", topics=["kap", "newsletter"])
    # The one race the triggers miss: neither transaction sees the other's row, so the address is counted although
    # it is suppressed. And counts damaged any other way.
    cat = "cat@example.org"
    race(
        confirmed_signup(app, cat),
        insert(Suppression).values(email_hash=email_hash(cat, app.config["EMAIL_HASH_KEY"]), reason="bounced"),
    )
    db.session.execute(update(AudienceCount).where(AudienceCount.topics == "kap,newsletter").values(subscribers=5))
    db.session.execute(insert(AudienceCount).values(topics="events", subscribers=2))
    db.session.commit()

    job = build_scheduler(app, WorkerContext.from_config(app.config)).get_job("mend-audience-counts")
    assert job.trigger.interval == timedelta(days=1)
    job.func()

    assert_counts_exact()
    assert audience_size(db.session, ["newsletter"]) == 2
    assert "topics 'kap,newsletter' kept 5, counted 1; corrected" in caplog.text
    assert "topics 'events' kept 2, counted 0; corrected" in caplog.text
    assert cat not in caplog.text
    assert mend_audience_counts(db.session) == {}


def test_one_worker_mends_for_all_once_a_day(app):
    """Two mendings at once would each add the drift they read: the workers take turns, a day long."""
    skip_unless_postgresql()
    add_subscriber(app, "ann@example.org", topics=["newsletter"])
    clock = [datetime.now(UTC)]
    jobs = [
        build_scheduler(app, WorkerContext.from_config(app.config, worker_id=worker, clock=lambda: clock[0]))
        .get_job("mend-audience-counts")
        .func
        for worker in ("worker-a", "worker-b")
    ]

    def damage() -> None:
        db.session.execute(update(AudienceCount).where(AudienceCount.topics == "newsletter").values(subscribers=3))
        db.session.commit()

    damage()
    for job in jobs:  # both start at once, as the jobs do at a worker's start
        job()
    assert_counts_exact()
    damage()
    clock[0] += timedelta(hours=23)
    jobs[0]()
    jobs[1]()
    assert audience_size(db.session, ["newsletter"]) == 3, "neither mends again within the day"
    clock[0] += timedelta(hours=1)
    jobs[1]()
    assert_counts_exact()


def test_the_mending_blocks_no_change_to_the_list_and_loses_none_made_meanwhile(app):
    skip_unless_postgresql()
    add_subscriber(app, "ann@example.org", topics=["newsletter"])
    db.session.execute(update(AudienceCount).where(AudienceCount.topics == "newsletter").values(subscribers=7))
    db.session.commit()
    mended = []
    with db.engine.connect() as connection:
        for statement in confirmed_signup(app, "ben@example.org"):  # counted by its triggers; not committed
            connection.execute(statement)
        mending = threading.Thread(target=lambda: mended.append(mend_in_a_session_of_its_own(app)))
        mending.start()
        # It has read (kept 7, counted 1: ben's row is not committed) and waits for the one row it corrects.
        wait_for_a_lock_wait(connection)
        connection.commit()
    mending.join(timeout=10)
    assert mended == [{"newsletter": (7, 1)}]
    assert_counts_exact()
    assert audience_size(db.session, ["newsletter"]) == 2


def test_the_mending_does_not_wait_for_a_change_in_progress(app):
    skip_unless_postgresql()
    add_subscriber(app, "ann@example.org", topics=["newsletter"])
    mended = []
    with db.engine.connect() as connection:
        for statement in confirmed_signup(app, "ben@example.org"):
            connection.execute(statement)
        mending = threading.Thread(target=lambda: mended.append(mend_in_a_session_of_its_own(app)))
        mending.start()
        mending.join(timeout=10)
        assert mended == [{}], "nothing drifted, so the mending corrects nothing and waits for nothing"
        connection.commit()
    assert_counts_exact()
    assert audience_size(db.session, ["newsletter"]) == 2


def wait_for_a_lock_wait(connection, seconds: float = 10) -> None:
    """Until another transaction waits for a lock that `connection`'s holds."""
    holder = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    waiting = text("SELECT count(*) FROM pg_locks WHERE NOT granted AND :holder = ANY(pg_blocking_pids(pid))")
    deadline = time.monotonic() + seconds
    with db.engine.connect() as probe:
        while probe.execute(waiting, {"holder": holder}).scalar() == 0:
            assert time.monotonic() < deadline, "nothing came to wait for the change in progress"
            time.sleep(0.02)


def mend_in_a_session_of_its_own(app):
    with app.app_context():
        try:
            return mend_audience_counts(db.session)
        finally:
            db.session.remove()


def trigger_functions() -> dict[str, str]:
    return schema.trigger_functions(db.engine, "audience_counts_")


def test_the_migrations_make_the_functions_the_schema_makes_and_their_last_two_come_and_go(app):
    skip_unless_postgresql()
    made_with_the_schema = trigger_functions()
    assert set(made_with_the_schema) == set(FUNCTIONS)
    schema.drop_every_table_and_function(db.engine, FUNCTIONS)
    migrations = str(REPO_ROOT / "migrations")
    upgrade(directory=migrations, revision="heads")
    assert trigger_functions() == made_with_the_schema

    downgrade(directory=migrations, revision="b7e2d9c4a1f6")  # before c5f9e2a7d3b1
    assert set(made_with_the_schema) - set(trigger_functions()) == {"audience_counts_topics_updated"}
    downgrade(directory=migrations, revision="f1a6c3e8b2d4")  # the functions as they were before b7e2d9c4a1f6
    before = trigger_functions()
    assert {name for name in before if before[name] != made_with_the_schema[name]} == {
        "audience_counts_topics_changed",
        "audience_counts_suppressions_changed",
    }
    assert not any("FOR NO KEY UPDATE" in definition for definition in before.values())
    upgrade(directory=migrations, revision="heads")
    assert trigger_functions() == made_with_the_schema
    # Leave the schema as the fixtures made it, without Alembic's bookkeeping table.
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
