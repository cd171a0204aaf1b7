"""The list's growth week by week: signups, confirmations and unsubscribes by source (form, API, import) and topic,
and bounces and complaints. Weeks start on Monday, in the clinic's timezone."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import EmailEvent, Subscriber, SubscriberTopic
from service.timezones import utc_to_local

WEEKS = 12
MEASURES = ("signups", "confirmations", "unsubscribes", "bounces", "complaints")
SOURCES = ("form", "api", "import")


@dataclass(frozen=True)
class Growth:
    weeks: list[date]  # each week's Monday, oldest first
    totals: dict[str, list[int]]  # measure -> count per week
    by_source: dict[str, dict[str, list[int]]]  # source -> measure -> count per week (subscriber measures)
    by_topic: dict[str, dict[str, list[int]]]  # topic -> measure -> count per week (subscriber measures)


def _monday(instant: datetime, tz_name: str) -> date:
    day = utc_to_local(instant, tz_name).date()
    return day - timedelta(days=day.weekday())


def list_growth(session: Session, tz_name: str, now: datetime, weeks: int = WEEKS) -> Growth:
    this_monday = _monday(now, tz_name)
    mondays = [this_monday - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]
    since = now - timedelta(weeks=weeks + 1)
    index = {monday: position for position, monday in enumerate(mondays)}
    counts: Counter = Counter()
    topics_of: dict[int, list[str]] = {}
    for subscriber_id, topic in session.execute(select(SubscriberTopic.subscriber_id, SubscriberTopic.topic)):
        topics_of.setdefault(subscriber_id, []).append(topic)
    recent = (
        (Subscriber.created_at >= since) | (Subscriber.confirmed_at >= since) | (Subscriber.unsubscribed_at >= since)
    )
    columns = (Subscriber.id, Subscriber.consent_source, Subscriber.created_at, Subscriber.confirmed_at)
    rows = session.execute(select(*columns, Subscriber.unsubscribed_at).where(recent)).all()
    for subscriber_id, source, *instants in rows:
        for measure, instant in zip(("signups", "confirmations", "unsubscribes"), instants, strict=True):
            if instant is None or (week := index.get(_monday(instant, tz_name))) is None:
                continue
            counts["total", measure, week] += 1
            counts["source", source or "form", measure, week] += 1
            for topic in topics_of.get(subscriber_id, []):
                counts["topic", topic, measure, week] += 1
    events = session.execute(
        select(EmailEvent.event, EmailEvent.kind, EmailEvent.occurred_at).where(
            EmailEvent.event.in_(("bounce", "spamreport")), EmailEvent.occurred_at >= since
        )
    ).all()
    for event, kind, occurred_at in events:
        if event == "bounce" and kind == "blocked":
            continue  # a temporary refusal, not a lost address
        if (week := index.get(_monday(occurred_at, tz_name))) is not None:
            counts["total", "bounces" if event == "bounce" else "complaints", week] += 1

    def series(*key) -> list[int]:
        return [counts[(*key, week)] for week in range(len(mondays))]

    subscriber_measures = MEASURES[:3]
    topics = sorted({topic for values in topics_of.values() for topic in values})
    return Growth(
        weeks=mondays,
        totals={measure: series("total", measure) for measure in MEASURES},
        by_source={s: {m: series("source", s, m) for m in subscriber_measures} for s in SOURCES},
        by_topic={t: {m: series("topic", t, m) for m in subscriber_measures} for t in topics},
    )
