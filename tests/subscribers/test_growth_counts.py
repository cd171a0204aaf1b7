"""List growth as the page shows it always equals counting subscribers, topics and events directly, whatever changed
them (signups, confirmations, unsubscribes, sources, topics, deletes, webhook events, bulk statements), on both
databases; on PostgreSQL the page reads the quarter-hour counts the database keeps."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, func, insert, inspect, select, text, update

from service.extensions import db
from service.models import EmailEvent, GrowthCount, Subscriber, SubscriberTopic
from service.settings import REPO_ROOT
from service.subscribers.growth import counted_growth, list_growth
from service.subscribers.growth_counts import RECOUNT_SQL
from service.subscribers.retention import purge_unconfirmed
from service.subscribers.signup import set_topics
from service.subscribers.unsubscribe import unsubscribe
from tests.factories import add_subscriber
from tests.schema import drop_every_table
from tests.subscribers.races import race

NOW = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
# Kathmandu is 5:45 ahead of UTC, Kolkata 5:30; New York left daylight saving time on Nov 1.
ZONES = ("America/Phoenix", "America/New_York", "Asia/Kathmandu", "Asia/Kolkata")


def assert_growth_exact() -> None:
    db.session.flush()
    for tz_name in ZONES:
        assert list_growth(db.session, tz_name, NOW) == counted_growth(db.session, tz_name, NOW), tz_name


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def kept_rows() -> set[tuple]:
    rows = select(GrowthCount.bucket, GrowthCount.measure, GrowthCount.dimension, GrowthCount.key, GrowthCount.n)
    return {tuple(row) for row in db.session.execute(rows.where(GrowthCount.n != 0))}


def test_the_page_follows_signups_confirmations_unsubscribes_and_sources(app):
    ann = add_subscriber(app, "ann@example.org", status="pending", topics=["newsletter", "kap"])
    ann.created_at = NOW - timedelta(days=1)
    db.session.commit()
    assert list_growth(db.session, "America/Phoenix", NOW).totals["signups"][-1] == 1
    assert_growth_exact()

    ann.status, ann.confirmed_at = "confirmed", NOW - timedelta(hours=2)
    db.session.commit()
    assert list_growth(db.session, "America/Phoenix", NOW).by_topic["kap"]["confirmations"][-1] == 1
    assert_growth_exact()

    ann.consent_source = "api"
    db.session.commit()
    assert list_growth(db.session, "America/Phoenix", NOW).by_source["api"]["signups"][-1] == 1
    assert_growth_exact()
    ann.consent_source = None  # counts as the form
    db.session.commit()
    assert list_growth(db.session, "America/Phoenix", NOW).by_source["form"]["confirmations"][-1] == 1
    assert_growth_exact()

    unsubscribe(db.session, ann, NOW - timedelta(hours=1))
    db.session.commit()
    assert list_growth(db.session, "America/Phoenix", NOW).totals["unsubscribes"][-1] == 1
    assert_growth_exact()

    ann.created_at = NOW - timedelta(weeks=5)  # a correction moves the signup to another week
    db.session.commit()
    assert list_growth(db.session, "America/Phoenix", NOW).totals["signups"][-6:] == [1, 0, 0, 0, 0, 0]
    assert_growth_exact()


def test_the_page_follows_topics_added_and_removed_and_subscribers_deleted(app):
    ann = add_subscriber(app, "ann@example.org", topics=["newsletter"])
    ben = add_subscriber(app, "ben@example.org", topics=["newsletter", "kap"])
    for subscriber in (ann, ben):
        subscriber.created_at = subscriber.confirmed_at = NOW - timedelta(days=2)
    db.session.commit()
    assert_growth_exact()

    set_topics(ann, ["kap", "events"])
    db.session.commit()
    growth = list_growth(db.session, "America/Phoenix", NOW)
    assert growth.by_topic["kap"]["signups"][-1] == 2 and growth.by_topic["newsletter"]["signups"][-1] == 1
    assert_growth_exact()

    db.session.execute(delete(SubscriberTopic).where(SubscriberTopic.topic == "kap"))
    db.session.execute(update(SubscriberTopic).where(SubscriberTopic.topic == "events").values(topic="kap"))
    assert_growth_exact()
    db.session.commit()

    db.session.delete(ben)  # the topics go by cascade
    db.session.commit()
    growth = list_growth(db.session, "America/Phoenix", NOW)
    assert growth.totals["signups"][-1] == 1 and "newsletter" not in growth.by_topic
    assert_growth_exact()

    ann.status, ann.confirmed_at = "pending", None
    ann.created_at = NOW - timedelta(days=40)
    db.session.commit()
    assert purge_unconfirmed(db.session, NOW, days=30) == 1
    assert list_growth(db.session, "America/Phoenix", NOW).totals["signups"] == [0] * 12
    assert_growth_exact()


def test_the_page_follows_bounces_and_complaints_but_not_blocked_bounces(app):
    def event(number: int, name: str, kind: str = "", hours_ago: int = 1):
        return EmailEvent(sg_event_id=f"e{number}", event=name, kind=kind, occurred_at=NOW - timedelta(hours=hours_ago))

    bounce, blocked, complaint = event(1, "bounce", "bounce"), event(2, "bounce", "blocked"), event(3, "spamreport")
    db.session.add_all([bounce, blocked, complaint, event(4, "delivered"), event(5, "bounce", hours_ago=24 * 9)])
    db.session.commit()
    growth = list_growth(db.session, "America/Phoenix", NOW)
    assert growth.totals["bounces"][-2:] == [1, 1] and growth.totals["complaints"][-1] == 1
    assert_growth_exact()

    blocked.kind = "bounce"  # a correction of what the event was
    db.session.commit()
    assert list_growth(db.session, "America/Phoenix", NOW).totals["bounces"][-1] == 2
    assert_growth_exact()

    db.session.delete(bounce)
    db.session.execute(delete(EmailEvent).where(EmailEvent.event == "spamreport"))
    db.session.commit()
    growth = list_growth(db.session, "America/Phoenix", NOW)
    assert growth.totals["bounces"][-1] == 1 and growth.totals["complaints"][-1] == 0
    assert_growth_exact()


def test_the_page_follows_bulk_statements_and_a_rollback(app):
    rng = random.Random(14)
    rows = [
        {
            "email": f"reader{number}@example.org",
            "email_hash": f"{number:064x}",
            "status": "confirmed",
            "consent_source": rng.choice(["form", "api", "import", None, ""]),
            "created_at": NOW - timedelta(minutes=rng.randrange(20_000)),
            "confirmed_at": rng.choice([None, NOW - timedelta(minutes=rng.randrange(20_000))]),
        }
        for number in range(300)
    ]
    db.session.execute(insert(Subscriber), rows)
    ids = list(db.session.scalars(select(Subscriber.id).order_by(Subscriber.id)))
    db.session.execute(insert(SubscriberTopic), [{"subscriber_id": i, "topic": rng.choice("abc")} for i in ids])
    events = [
        {
            "sg_event_id": f"e{n}",
            "event": rng.choice(["bounce", "spamreport", "open"]),
            "kind": rng.choice(["", "blocked"]),
        }
        | {"occurred_at": NOW - timedelta(minutes=rng.randrange(20_000))}
        for n in range(200)
    ]
    db.session.execute(insert(EmailEvent), events)
    assert_growth_exact()
    db.session.commit()

    db.session.execute(update(Subscriber).where(Subscriber.id < ids[100]).values(unsubscribed_at=NOW))
    db.session.execute(update(EmailEvent).where(EmailEvent.id % 2 == 0).values(occurred_at=NOW - timedelta(days=3)))
    db.session.execute(delete(SubscriberTopic).where(SubscriberTopic.topic == "a"))
    assert_growth_exact()
    db.session.rollback()
    assert_growth_exact()
    db.session.execute(delete(Subscriber).where(Subscriber.id > ids[200]))
    db.session.execute(delete(EmailEvent).where(EmailEvent.event == "bounce"))
    assert_growth_exact()


def test_a_topic_change_racing_a_change_of_instants_is_counted_with_the_instants_that_won(app):
    if not is_postgresql():
        pytest.skip("only PostgreSQL keeps the counts")
    ann = add_subscriber(app, "ann@example.org", topics=["newsletter"])
    ann.created_at = NOW - timedelta(weeks=3)
    db.session.commit()
    moved = update(Subscriber).where(Subscriber.id == ann.id)
    for first, second in (
        (
            moved.values(created_at=NOW - timedelta(days=1)),
            insert(SubscriberTopic).values(subscriber_id=ann.id, topic="kap"),
        ),
        (
            delete(SubscriberTopic).where(SubscriberTopic.topic == "kap"),
            moved.values(created_at=NOW - timedelta(weeks=6)),
        ),
    ):
        race(first, second)
        assert_growth_exact()


def fill(rng: random.Random) -> None:
    """Subscribers and events at random instants over 16 weeks, and at every quarter hour either side of midnight
    on a Monday in each of ZONES."""
    monday = datetime(2026, 11, 16, tzinfo=UTC)  # NOW's Monday, 00:00 UTC
    edges = [
        monday - timedelta(weeks=weeks) + timedelta(minutes=offset)
        for weeks in range(14)
        for offset in range(-15 * 60, 15 * 60, 15)
    ]

    def instant() -> datetime:
        if rng.random() < 0.5:
            return rng.choice(edges) + timedelta(seconds=rng.choice([-1, 0, 1]))
        return NOW - timedelta(weeks=16) * rng.random()

    for number in range(250):
        subscriber = Subscriber(
            email=f"reader{number}@example.org",
            email_hash=f"{number:064x}",
            consent_source=rng.choice(["form", "api", "import", None, "", "test"]),
            created_at=instant(),
            confirmed_at=rng.choice([None, instant()]),
            unsubscribed_at=rng.choice([None, None, instant()]),
        )
        subscriber.topic_links = [SubscriberTopic(topic=t) for t in rng.sample(["newsletter", "kap", "events"], 2)]
        db.session.add(subscriber)
    kinds = [("bounce", "bounce"), ("bounce", "blocked"), ("bounce", ""), ("spamreport", ""), ("delivered", "")]
    for number in range(200):
        name, kind = rng.choice(kinds)
        db.session.add(EmailEvent(sg_event_id=f"e{number}", event=name, kind=kind, occurred_at=instant()))
    db.session.add(EmailEvent(sg_event_id="no-time", event="bounce", kind="bounce", occurred_at=None))
    db.session.commit()


def test_the_page_equals_counting_directly_over_random_weeks(app):
    fill(random.Random(2026))

    for tz_name in ZONES:
        for now in (NOW, NOW - timedelta(weeks=3, hours=5)):
            growth = list_growth(db.session, tz_name, now)
            assert growth == counted_growth(db.session, tz_name, now), (tz_name, now)
            assert sum(growth.totals["signups"]) > 100 and sum(growth.totals["bounces"]) > 10
    if is_postgresql():
        assert db.session.scalar(select(func.count()).select_from(GrowthCount)) > 0


def test_on_postgresql_the_page_reads_the_kept_counts(app):
    if not is_postgresql():
        pytest.skip("only PostgreSQL keeps the counts")
    ann = add_subscriber(app, "ann@example.org")
    ann.created_at = NOW - timedelta(hours=1)
    db.session.commit()
    db.session.execute(update(GrowthCount).where(GrowthCount.measure == "signups").values(n=GrowthCount.n + 41))

    assert list_growth(db.session, "America/Phoenix", NOW).totals["signups"][-1] == 42
    assert counted_growth(db.session, "America/Phoenix", NOW).totals["signups"][-1] == 1


def test_weeks_that_start_inside_a_quarter_hour_are_counted_directly(app):
    # Until 1883 New York kept its local mean time, 4:56:02 behind UTC: its midnights fell inside the buckets.
    then = datetime(1880, 3, 3, 12, tzinfo=UTC)
    monday_midnight = datetime(1880, 3, 1, 4, 56, 2, tzinfo=UTC)
    for number, created in enumerate([monday_midnight - timedelta(seconds=1), monday_midnight]):
        db.session.add(Subscriber(email=f"r{number}@example.org", email_hash=f"{number:064x}", created_at=created))
    db.session.commit()

    growth = list_growth(db.session, "America/New_York", then)

    assert growth.totals["signups"][-2:] == [1, 1]
    assert growth == counted_growth(db.session, "America/New_York", then)


def test_the_backfill_counts_what_the_triggers_kept(app):
    if not is_postgresql():
        pytest.skip("only PostgreSQL keeps the counts")
    fill(random.Random(7))
    kept = kept_rows()

    db.session.execute(text(RECOUNT_SQL))

    assert kept_rows() == kept
    assert_growth_exact()


def test_the_migration_backfills_existing_rows_and_comes_and_goes(app):
    drop_every_table(db.engine)
    migrations = str(REPO_ROOT / "migrations")
    upgrade(directory=migrations, revision="e3b8c5d1a7f2-1")
    fill(random.Random(11))
    db.session.remove()

    upgrade(directory=migrations, revision="e3b8c5d1a7f2")
    if is_postgresql():
        assert db.session.scalar(select(func.count()).select_from(GrowthCount)) > 0
    assert_growth_exact()
    db.session.commit()
    db.session.remove()

    downgrade(directory=migrations, revision="-1")
    assert "growth_counts" not in inspect(db.engine).get_table_names()
    upgrade(directory=migrations, revision="heads")
    assert_growth_exact()
    db.session.remove()
    # Leave the schema as the fixtures made it, without Alembic's bookkeeping table.
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
