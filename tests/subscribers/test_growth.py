"""List growth counted by the database equals counting each subscriber and event one by one in the clinic's
timezone, whatever the zone's offsets and daylight saving time, on both databases."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from service.extensions import db
from service.models import EmailEvent, Subscriber, SubscriberTopic
from service.subscribers.growth import MEASURES, SOURCES, list_growth
from service.timezones import local_to_utc, utc_to_local

# Nov 1, 2026 ends daylight saving time in New York and Mar 8 starts it; Kathmandu is 5:45 ahead of UTC.
NOW = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
SPRING = datetime(2026, 3, 25, 16, 0, tzinfo=UTC)


def counted_one_by_one(tz_name: str, now: datetime, weeks: int = 12) -> dict:
    """The growth figures from every row, each instant turned into its clinic-time Monday in Python."""

    def monday(instant):
        day = utc_to_local(instant, tz_name).date()
        return day - timedelta(days=day.weekday())

    this_monday = monday(now)
    mondays = [this_monday - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]
    counts = Counter()
    subscribers = db.session.scalars(select(Subscriber).options(selectinload(Subscriber.topic_links)))
    for subscriber in subscribers:
        instants = (subscriber.created_at, subscriber.confirmed_at, subscriber.unsubscribed_at)
        for measure, instant in zip(MEASURES, instants, strict=False):
            if instant is not None and monday(instant) in mondays:
                week = mondays.index(monday(instant))
                counts["total", measure, week] += 1
                counts["source", subscriber.consent_source or "form", measure, week] += 1
                for topic in subscriber.topics:
                    counts["topic", topic, measure, week] += 1
    for event in db.session.scalars(select(EmailEvent)):
        lost = event.event == "bounce" and event.kind != "blocked"
        if (lost or event.event == "spamreport") and monday(event.occurred_at) in mondays:
            counts["total", "bounces" if lost else "complaints", mondays.index(monday(event.occurred_at))] += 1
    topics = sorted(set(db.session.scalars(select(SubscriberTopic.topic))))

    def series(*key):
        return [counts[(*key, week)] for week in range(weeks)]

    return {
        "weeks": mondays,
        "totals": {m: series("total", m) for m in MEASURES},
        "by_source": {s: {m: series("source", s, m) for m in MEASURES[:3]} for s in SOURCES},
        "by_topic": {t: {m: series("topic", t, m) for m in MEASURES[:3]} for t in topics},
    }


def instants_worth_testing(tz_name: str, now: datetime, rng: random.Random) -> list[datetime]:
    """Each clinic-time Monday midnight from before the weeks shown to after them, a second either side of it, and
    random instants over the same span."""
    this_monday = utc_to_local(now, tz_name).date() - timedelta(days=utc_to_local(now, tz_name).weekday())
    midnights = [
        local_to_utc(this_monday - timedelta(weeks=back), datetime.min.time(), tz_name) for back in range(-2, 15)
    ]
    edges = [midnight + timedelta(seconds=shift) for midnight in midnights for shift in (-1, 0, 1)]
    span = midnights[0] - midnights[-1]
    return edges + [midnights[-1] + span * rng.random() for _ in range(60)]


def fill(tz_name: str, now: datetime) -> None:
    rng = random.Random(f"{tz_name}{now}")
    instants = instants_worth_testing(tz_name, now, rng)
    for number in range(160):
        confirmed = rng.choice([None, rng.choice(instants)])
        left = rng.choice([None, None, rng.choice(instants)])
        subscriber = Subscriber(
            email=f"reader{number}@example.org",
            email_hash=f"{number:064x}",
            status="unsubscribed" if left else "confirmed" if confirmed else "pending",
            consent_source=rng.choice(["form", "api", "import", None, "", "test"]),
            created_at=rng.choice(instants),
            confirmed_at=confirmed,
            unsubscribed_at=left,
        )
        topics = rng.sample(["newsletter", "kap", "events", "zz-only-old"], rng.randint(0, 3))
        subscriber.topic_links = [SubscriberTopic(topic=topic) for topic in topics]
        db.session.add(subscriber)
    kinds = [("bounce", "bounce"), ("bounce", "blocked"), ("spamreport", ""), ("delivered", ""), ("unsubscribe", "")]
    for number in range(120):
        event, kind = rng.choice(kinds)
        db.session.add(EmailEvent(sg_event_id=f"e{number}", event=event, kind=kind, occurred_at=rng.choice(instants)))
    db.session.commit()


@pytest.mark.parametrize(
    ("tz_name", "now"),
    [("America/Phoenix", NOW), ("America/New_York", NOW), ("America/New_York", SPRING), ("Asia/Kathmandu", NOW)],
)
def test_growth_counted_by_the_database_equals_counting_row_by_row(app, tz_name, now):
    fill(tz_name, now)

    growth = list_growth(db.session, tz_name, now)

    expected = counted_one_by_one(tz_name, now)
    assert growth.weeks == expected["weeks"]
    assert growth.totals == expected["totals"]
    assert growth.by_source == expected["by_source"]
    assert growth.by_topic == expected["by_topic"]
    assert sum(growth.totals["signups"]) > 0 and sum(growth.totals["bounces"]) > 0  # the fixture reaches the weeks


def test_a_week_starts_at_midnight_on_monday_in_clinic_time(app):
    # 06:59:59 UTC on Monday Nov 16 is still Sunday in Phoenix (UTC-7); a second later it is Monday.
    for number, created in enumerate(
        [datetime(2026, 11, 16, 6, 59, 59, tzinfo=UTC), datetime(2026, 11, 16, 7, tzinfo=UTC)]
    ):
        db.session.add(Subscriber(email=f"r{number}@example.org", email_hash=f"{number:064x}", created_at=created))
    db.session.commit()

    growth = list_growth(db.session, "America/Phoenix", NOW)

    assert growth.totals["signups"][-2:] == [1, 1]
