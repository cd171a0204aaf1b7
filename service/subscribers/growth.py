"""The list's growth week by week: signups, confirmations and unsubscribes by source (form, API, import) and topic,
and bounces and complaints. Weeks start on Monday, in the clinic's timezone.

Counted by the database, never by loading subscribers: each week's start (Monday 00:00 clinic time) is turned into
a UTC instant here, with the zone's own rules (daylight saving time included), and the database sorts instants into
weeks by comparing with those boundaries. A few grouped rows come back. On PostgreSQL it sorts the quarter-hour
counts it keeps (service/subscribers/growth_counts.py), a few thousand rows at any list size; elsewhere it groups
the subscribers and events themselves, the same plain SQL on SQLite and PostgreSQL.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from service.models import EmailEvent, Subscriber, SubscriberTopic
from service.subscribers.growth_counts import kept_growth
from service.timezones import local_to_utc, utc_to_local

WEEKS = 12
MEASURES = ("signups", "confirmations", "unsubscribes", "bounces", "complaints")
SOURCES = ("form", "api", "import")
# The subscriber measures, and the column whose instant each one counts.
SUBSCRIBER_MEASURES = MEASURES[:3]
_INSTANTS = (Subscriber.created_at, Subscriber.confirmed_at, Subscriber.unsubscribed_at)


@dataclass(frozen=True)
class Growth:
    weeks: list[date]  # each week's Monday, oldest first
    totals: dict[str, list[int]]  # measure -> count per week
    by_source: dict[str, dict[str, list[int]]]  # source -> measure -> count per week (subscriber measures)
    by_topic: dict[str, dict[str, list[int]]]  # topic -> measure -> count per week (subscriber measures)


def _monday(instant: datetime, tz_name: str) -> date:
    day = utc_to_local(instant, tz_name).date()
    return day - timedelta(days=day.weekday())


class _Weeks:
    """The weeks shown, as UTC instants: where each one starts, and where the last one ends."""

    def __init__(self, mondays: list[date], tz_name: str):
        self.starts = [
            local_to_utc(monday, time(0), tz_name) for monday in [*mondays, mondays[-1] + timedelta(weeks=1)]
        ]

    def position(self, column):
        """Which week (0 = oldest) an instant falls in; NULL outside the weeks shown."""
        later_first = [(column >= start, n) for n, start in reversed(list(enumerate(self.starts[:-1])))]
        return case((column >= self.starts[-1], None), *later_first)

    def holds(self, column):
        return and_(column >= self.starts[0], column < self.starts[-1])


def list_growth(session: Session, tz_name: str, now: datetime, weeks: int = WEEKS) -> Growth:
    """The `weeks` weeks up to the one `now` is in: from the counts the database keeps where it keeps them."""
    return _growth(session, tz_name, now, weeks, kept=True)


def counted_growth(session: Session, tz_name: str, now: datetime, weeks: int = WEEKS) -> Growth:
    """list_growth counted from the subscribers, topics and events themselves, on any database: what the kept counts
    must always add up to."""
    return _growth(session, tz_name, now, weeks, kept=False)


def _growth(session: Session, tz_name: str, now: datetime, weeks: int, *, kept: bool) -> Growth:
    this_monday = _monday(now, tz_name)
    mondays = [this_monday - timedelta(weeks=back) for back in range(weeks - 1, -1, -1)]
    shown = _Weeks(mondays, tz_name)
    rows = kept_growth(session, shown.starts, shown.position) if kept else None
    counts = _counted_directly(session, shown) if rows is None else _from_kept(rows)

    def series(*key) -> list[int]:
        return [counts[(*key, week)] for week in range(len(mondays))]

    return Growth(
        weeks=mondays,
        totals={measure: series("total", measure) for measure in MEASURES},
        by_source={s: {m: series("source", s, m) for m in SUBSCRIBER_MEASURES} for s in SOURCES},
        by_topic={t: {m: series("topic", t, m) for m in SUBSCRIBER_MEASURES} for t in _all_topics(session)},
    )


def _from_kept(rows) -> Counter:
    counts: Counter = Counter()
    for week, measure, dimension, key, n in rows:
        if dimension == "topic":
            counts["topic", key, measure, week] += n
        else:
            # Every subscriber has one source: the sources' sum is the total.
            counts["total", measure, week] += n
            if dimension == "source":
                counts["source", key, measure, week] += n
    return counts


def _counted_directly(session: Session, shown: _Weeks) -> Counter:
    counts: Counter = Counter()
    for source, *positions, n in _subscriber_weeks(session, shown, Subscriber.consent_source):
        for measure, week in zip(SUBSCRIBER_MEASURES, positions, strict=True):
            if week is not None:
                counts["total", measure, week] += n
                counts["source", source or "form", measure, week] += n
    for topic, *positions, n in _subscriber_weeks(session, shown, SubscriberTopic.topic):
        for measure, week in zip(SUBSCRIBER_MEASURES, positions, strict=True):
            if week is not None:
                counts["topic", topic, measure, week] += n
    for event, week, n in _event_weeks(session, shown):
        counts["total", "bounces" if event == "bounce" else "complaints", week] += n
    return counts


def _subscriber_weeks(session: Session, shown: _Weeks, key):
    """(key, week of signup, of confirmation, of unsubscribe, subscribers) for subscribers with any of them shown;
    `key` is the subscriber's source, or their topic (then a subscriber counts once for each of their topics)."""
    weeks = [
        shown.position(column).label(measure) for measure, column in zip(SUBSCRIBER_MEASURES, _INSTANTS, strict=True)
    ]
    facts = select(key.label("key"), *weeks).select_from(Subscriber)
    if key is SubscriberTopic.topic:
        facts = facts.join(SubscriberTopic, SubscriberTopic.subscriber_id == Subscriber.id)
    facts = facts.where(or_(*(shown.holds(column) for column in _INSTANTS))).subquery()
    columns = [facts.c.key, *(facts.c[measure] for measure in SUBSCRIBER_MEASURES)]
    return session.execute(select(*columns, func.count()).group_by(*columns)).all()


def _event_weeks(session: Session, shown: _Weeks):
    """(event, week, how many) for lost addresses (bounces, not temporary refusals) and spam complaints."""
    facts = (
        select(EmailEvent.event, shown.position(EmailEvent.occurred_at).label("week"))
        .where(
            EmailEvent.event.in_(("bounce", "spamreport")),
            # A "blocked" bounce is a temporary refusal, not a lost address.
            or_(EmailEvent.event != "bounce", EmailEvent.kind.is_distinct_from("blocked")),
            shown.holds(EmailEvent.occurred_at),
        )
        .subquery()
    )
    return session.execute(select(facts.c.event, facts.c.week, func.count()).group_by(facts.c.event, facts.c.week))


def _all_topics(session: Session) -> list[str]:
    """Every topic any subscriber has, sorted: one index probe per topic (a skip scan), not a read of every row."""
    first = select(func.min(SubscriberTopic.topic).label("topic")).cte("topics", recursive=True)
    following = select(func.min(SubscriberTopic.topic)).where(SubscriberTopic.topic > first.c.topic).scalar_subquery()
    topics = first.union_all(select(following).where(first.c.topic.is_not(None)))
    return list(session.scalars(select(topics.c.topic).where(topics.c.topic.is_not(None)).order_by(topics.c.topic)))
