"""A message's figures always equal counting its events, whatever changed them (the webhook, inserts, updates,
deletes of events, subscribers and messages), on both databases; on PostgreSQL they are summed from the counts the
database keeps, which no two transactions wait for."""

import hashlib
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, func, insert, inspect, select, text, update

from service.campaigns.event_counts import FUNCTIONS
from service.campaigns.report import EmailFigures, figures_by_message
from service.campaigns.stats import campaign_email_stats
from service.email_events import record_events
from service.extensions import db
from service.models import EmailEvent, Message, MessageEventCount, Subscriber
from service.settings import REPO_ROOT
from service.worker.context import WorkerContext
from service.worker.scheduler import build_scheduler
from tests import schema
from tests.factories import add_subscriber
from tests.worker.processes import due_campaign

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
MIGRATION = "0371a4dbe80c"


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def two_messages(app, seed_article_text) -> list[Message]:
    return [due_campaign(app, seed_article_text).messages[0] for _ in range(2)]


def an_event(number: int, message: Message | None, name: str = "delivered", kind: str = "", **columns) -> dict:
    return {
        "sg_event_id": f"e{number}",
        "event": name,
        "kind": kind,
        "message_id": message.id if message else None,
        "occurred_at": NOW,
        **columns,
    }


def counted() -> Counter:
    rows = select(EmailEvent.message_id, EmailEvent.event, EmailEvent.kind, func.count()).group_by(
        EmailEvent.message_id, EmailEvent.event, EmailEvent.kind
    )
    return Counter({tuple(row[:3]): row[3] for row in db.session.execute(rows) if row[0] is not None})


def kept() -> Counter:
    columns = (MessageEventCount.message_id, MessageEventCount.event, MessageEventCount.kind)
    rows = select(*columns, func.sum(MessageEventCount.n)).group_by(*columns)
    return Counter({tuple(row[:3]): row[3] for row in db.session.execute(rows) if row[3] != 0})


def assert_exact(messages: list[Message]) -> None:
    db.session.flush()
    if is_postgresql():
        assert kept() == counted()
    figures = figures_by_message(db.session, messages)
    for message in messages:
        events = Counter(
            (row.event, row.kind) for row in db.session.scalars(select(EmailEvent).filter_by(message_id=message.id))
        )
        assert figures[message.id] == EmailFigures(
            recipients=message.delivery_count,
            delivered=events["delivered", ""],
            deferred=events["deferred", ""],
            hard_bounces=sum(n for (name, kind), n in events.items() if name == "bounce" and kind != "blocked"),
            soft_bounces=events["bounce", "blocked"],
            dropped=events["dropped", ""],
            complaints=events["spamreport", ""],
            unsubscribes=sum(n for (name, _), n in events.items() if name in ("unsubscribe", "group_unsubscribe")),
        )
        # The campaign page's figures too (each of these messages is its campaign's only email).
        stats = campaign_email_stats(db.session, message.campaign, tracking=True)
        assert (stats.delivered, stats.bounced, stats.blocked, stats.spam_reports, stats.unsubscribes) == (
            figures[message.id].delivered,
            figures[message.id].hard_bounces,
            figures[message.id].soft_bounces,
            figures[message.id].complaints,
            figures[message.id].unsubscribes,
        )


def webhook_event(number: int, name: str, email: str, message: Message, **extra) -> dict:
    return {
        "email": email,
        "timestamp": int(NOW.timestamp()),
        "event": name,
        "sg_event_id": hashlib.sha256(f"{number}".encode()).hexdigest()[:22],
        "message_id": str(message.id),
        **extra,
    }


def test_the_figures_follow_every_change_to_the_events(app, seed_article_text):
    first, second = two_messages(app, seed_article_text)
    ann = add_subscriber(app, "ann@example.org")
    add_subscriber(app, "ben@example.org")

    db.session.add(EmailEvent(**an_event(1, first, subscriber_id=ann.id)))
    db.session.execute(
        insert(EmailEvent),
        [
            an_event(2, first, "bounce", "bounce"),
            an_event(3, first, "bounce", "blocked"),
            an_event(4, second, "spamreport"),
            an_event(5, second, "unsubscribe", "link"),
            an_event(6, None, "delivered"),
        ],
    )
    assert_exact([first, second])

    events = [
        webhook_event(7, "delivered", "ann@example.org", first),
        webhook_event(8, "deferred", "ben@example.org", first),
        webhook_event(9, "bounce", "ben@example.org", second, type="bounce"),
        webhook_event(10, "group_unsubscribe", "ann@example.org", second),
    ]
    for _ in range(2):  # the retry records nothing
        record_events(db.session, events, hash_key=app.config["EMAIL_HASH_KEY"], tracking=False, now=NOW)
    assert_exact([first, second])

    db.session.execute(update(EmailEvent).where(EmailEvent.sg_event_id == "e3").values(kind="bounce"))
    db.session.execute(update(EmailEvent).where(EmailEvent.sg_event_id == "e1").values(message_id=second.id))
    db.session.execute(update(EmailEvent).where(EmailEvent.sg_event_id == "e6").values(message_id=first.id))
    assert_exact([first, second])

    db.session.execute(delete(EmailEvent).where(EmailEvent.sg_event_id.in_(["e2", "e4"])))
    db.session.delete(db.session.get(Subscriber, ann.id))  # its events keep counting, for nobody
    assert_exact([first, second])
    db.session.commit()


def test_deleting_a_message_takes_its_counts_and_leaves_the_others(app, seed_article_text):
    first, second = two_messages(app, seed_article_text)
    db.session.execute(insert(EmailEvent), [an_event(1, first), an_event(2, second), an_event(3, second, "dropped")])
    db.session.commit()
    second_id = second.id

    db.session.delete(db.session.get(Message, first.id))
    db.session.commit()

    assert_exact([db.session.get(Message, second_id)])
    if is_postgresql():
        assert set(db.session.scalars(select(MessageEventCount.message_id))) == {second_id}


def test_two_transactions_adding_events_for_one_message_do_not_wait_for_each_other(app, seed_article_text):
    if not is_postgresql():
        pytest.skip("the counts are kept on PostgreSQL only")
    message = due_campaign(app, seed_article_text).messages[0]
    with db.engine.connect() as first, db.engine.connect() as second:
        first.begin()
        first.execute(insert(EmailEvent), [an_event(1, message)])
        with second.begin():
            second.execute(text("SET LOCAL lock_timeout = '200ms'"))
            second.execute(insert(EmailEvent), [an_event(2, message)])  # would time out behind a locked count row
        first.commit()
    assert_exact([message])
    assert figures_by_message(db.session, [message])[message.id].delivered == 2


def kept_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(MessageEventCount))


def test_the_daily_fold_leaves_a_row_per_message_event_and_kind_and_the_figures_as_they_were(app, seed_article_text):
    first, second = two_messages(app, seed_article_text)
    for number in range(8):  # a statement each, as webhook requests come: a row each
        message, name = (first, second)[number % 2], ("delivered", "dropped")[number // 6]
        db.session.execute(insert(EmailEvent), [an_event(number, message, name)])
    db.session.execute(delete(EmailEvent).where(EmailEvent.sg_event_id == "e7"))  # second's only "dropped" goes
    db.session.commit()
    fold = build_scheduler(app, WorkerContext.from_config(app.config)).get_job("fold-event-counts")
    assert fold.trigger.interval == timedelta(days=1)

    with db.engine.connect() as meanwhile:  # a webhook request still in progress while the worker folds
        meanwhile.begin()
        meanwhile.execute(insert(EmailEvent), [an_event(20, first)])
        fold.func()
        meanwhile.commit()

    assert_exact([first, second])
    assert figures_by_message(db.session, [first])[first.id].delivered == 4
    if is_postgresql():
        # first: delivered and dropped, and the request's row (added meanwhile, left as it was); second: delivered
        assert kept_rows() == 4
        fold.func()
        assert kept_rows() == 3
        assert_exact([first, second])


def trigger_functions() -> dict[str, str]:
    return schema.trigger_functions(db.engine, "message_event_counts_")


def test_the_migration_counts_the_events_there_and_comes_and_goes(app, seed_article_text):
    made_with_the_schema = trigger_functions() if is_postgresql() else {}
    if is_postgresql():
        assert set(made_with_the_schema) == set(FUNCTIONS)
    schema.drop_every_table_and_function(db.engine, made_with_the_schema)
    migrations = str(REPO_ROOT / "migrations")
    upgrade(directory=migrations, revision=f"{MIGRATION}-1")
    first, second = two_messages(app, seed_article_text)
    db.session.execute(
        insert(EmailEvent),
        [an_event(1, first), an_event(2, first), an_event(3, second, "bounce", "blocked"), an_event(4, None)],
    )
    ids = first.id, second.id
    db.session.commit()
    db.session.remove()

    upgrade(directory=migrations, revision=MIGRATION)
    if is_postgresql():
        assert trigger_functions() == made_with_the_schema
    first, second = (db.session.get(Message, message_id) for message_id in ids)
    assert_exact([first, second])
    assert figures_by_message(db.session, [first])[first.id].delivered == 2
    db.session.remove()

    downgrade(directory=migrations, revision=f"{MIGRATION}-1")  # named: a newer migration on top changes nothing here
    assert "message_event_counts" not in inspect(db.engine).get_table_names()
    upgrade(directory=migrations, revision="heads")
    db.session.remove()
    # Leave the schema as the fixtures made it, without Alembic's bookkeeping table.
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
