"""List growth: signups, confirmations and unsubscribes per week by source and topic, as a chart and a table."""

from datetime import UTC, datetime, timedelta

from service.extensions import db
from service.subscribers.growth import list_growth
from tests.factories import add_subscriber


def test_this_weeks_signups_confirmations_and_unsubscribes_by_source_and_topic(app, client, auth, marketer):
    now = datetime.now(UTC)
    for number, (source, topics) in enumerate([("form", ["newsletter"]), ("import", ["kap"]), ("form", ["kap"])]):
        subscriber = add_subscriber(app, f"new{number}@example.org", topics=topics)
        subscriber.consent_source, subscriber.created_at, subscriber.confirmed_at = source, now, now
    old = add_subscriber(app, "old@example.org")
    old.created_at = old.confirmed_at = now - timedelta(weeks=30)
    old.consent_source, old.status, old.unsubscribed_at = "api", "unsubscribed", now
    db.session.commit()

    growth = list_growth(db.session, app.config["CLINIC_TIMEZONE"], now)

    assert growth.totals["signups"][-1] == 3 and growth.totals["confirmations"][-1] == 3
    assert growth.totals["unsubscribes"][-1] == 1
    assert growth.by_source["form"]["signups"][-1] == 2 and growth.by_source["import"]["signups"][-1] == 1
    assert growth.by_source["api"]["unsubscribes"][-1] == 1
    assert growth.by_topic["kap"]["signups"][-1] == 2
    assert sum(growth.totals["signups"]) == 3  # the old signup is before the weeks shown

    auth.login(marketer)
    page = client.get("/subscribers/growth").get_data(as_text=True)
    assert 'id="growth-chart"' in page and 'id="chart-data"' in page
    assert "Topic: kap" in page and "Source: CSV import" in page
