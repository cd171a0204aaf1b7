"""Home's list health: confirmed subscribers from the counts the database keeps, and who joined and left over the
last 30 days, equal to counting the list, on both databases."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select, update

from service.campaigns.guardrails import Thresholds
from service.campaigns.home import list_health
from service.extensions import db
from service.models import Subscriber
from service.subscribers.unsubscribe import unsubscribe
from tests.factories import add_subscriber

NOW = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)


def test_list_health_counts_the_confirmed_and_the_last_30_days(app):
    rows = [
        {
            "email": f"reader{number}@example.org",
            "email_hash": f"{number:064x}",
            "status": "confirmed" if number % 4 else "pending",
            "confirmed_at": NOW - timedelta(days=number) if number % 4 else None,
            "created_at": NOW - timedelta(days=number),
        }
        for number in range(60)
    ]
    db.session.execute(insert(Subscriber), rows)  # one bulk statement, as an import writes
    leaving = add_subscriber(app, "leaving@example.org")
    leaving.confirmed_at = NOW - timedelta(days=90)
    unsubscribe(db.session, leaving, NOW - timedelta(days=3))
    db.session.execute(update(Subscriber).where(Subscriber.email == "reader59@example.org").values(status="bounced"))
    db.session.commit()

    health = list_health(db.session, [], Thresholds(), NOW)

    confirmed = db.session.scalar(select(func.count()).where(Subscriber.status == "confirmed"))
    assert health.confirmed == confirmed == 44
    joined = [n for n in range(60) if n % 4 and n <= 30]  # confirmed exactly 30 days ago counts
    assert health.joined_30_days == len(joined) and health.left_30_days == 1
    assert health.growth_30_days == len(joined) - 1
