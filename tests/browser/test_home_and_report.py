"""Home and the campaign report in the browser: each role's to-dos, and a chart drawn from the numbers in its table."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.campaigns import lifecycle
from service.extensions import db
from service.models import Delivery, EmailEvent, User
from tests.browser.logins import log_in_as, log_out
from tests.factories import add_subscriber, approve_and_schedule, draft_campaign, import_seed, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def campaigns(live_app, live_users, seed_article_text) -> dict[str, int]:
    """A draft sent back to the marketer, another author's campaign waiting for review, and a sent campaign whose
    email had 3 deliveries in its first hour and a bounce and a complaint in its third."""
    with live_app.app_context():
        marketer = db.session.scalar(select(User).where(User.email == live_users["marketer"]))
        reviewer = db.session.scalar(select(User).where(User.email == live_users["reviewer"]))
        other = make_user("other-author@example.org", "marketer")
        snippet_id = import_seed(seed_article_text).snippets[0].id
        now = datetime.now(UTC)

        sent_back = draft_campaign(live_app, marketer, [snippet_id], now + timedelta(days=2), name="Spring news")
        lifecycle.submit_for_review(db.session, sent_back, marketer)
        lifecycle.send_back(db.session, sent_back, reviewer, "Please cite the study.")
        waiting = draft_campaign(live_app, other, [snippet_id], now + timedelta(days=2), name="Summer news")
        lifecycle.submit_for_review(db.session, waiting, other)

        sent = draft_campaign(
            live_app, marketer, [snippet_id], now + timedelta(hours=1), name="Winter news", send_post=False
        )
        approve_and_schedule(live_app, sent, marketer, reviewer, now)
        message = sent.messages[0]
        start = now - timedelta(hours=5)
        message.status, message.started_at, message.finished_at = "sent", start, start + timedelta(minutes=1)
        for number in range(4):
            subscriber = add_subscriber(live_app, f"reader{number}@example.org")
            delivery = Delivery(message_id=message.id, subscriber_id=subscriber.id, channel="email", status="sent")
            db.session.add(delivery)
        at_first_hour = start + timedelta(minutes=30)
        at_third_hour = start + timedelta(hours=2, minutes=10)
        events = [("delivered", at_first_hour)] * 3 + [("bounce", at_third_hour), ("spamreport", at_third_hour)]
        for number, (name, occurred) in enumerate(events):
            db.session.add(
                EmailEvent(
                    sg_event_id=f"event-{number}",
                    event=name,
                    kind="bounce" if name == "bounce" else "",
                    message_id=message.id,
                    occurred_at=occurred,
                )
            )
        db.session.commit()
        return {"sent": sent.id}


def test_home_shows_each_role_its_to_dos(live_server, live_users, page, campaigns):
    base = live_server.url
    log_in_as(page, base, live_users["marketer"])
    assert page.locator("h1").inner_text() == "Home"
    sent_back = page.locator("ul.sent-back").inner_text()
    assert "Spring news" in sent_back and "Please cite the study." in sent_back
    assert page.locator("ul.to-review").count() == 0
    log_out(page)

    log_in_as(page, base, live_users["reviewer"])
    assert "Summer news" in page.locator("ul.to-review").inner_text()
    assert page.locator("ul.sent-back").count() == 0


def test_the_reports_chart_is_drawn_from_the_numbers_in_its_table(live_server, live_users, page, campaigns):
    log_in_as(page, live_server.url, live_users["marketer"])
    page.goto(f"{live_server.url}/campaigns/{campaigns['sent']}/report")
    page.wait_for_function("() => window.Chart && Chart.getChart('hourly-chart') && Chart.getChart('funnel-chart')")

    drawn = page.evaluate(
        "() => Object.fromEntries(Chart.getChart('hourly-chart').data.datasets.map(d => [d.label, d.data]))"
    )
    header = page.locator("#hourly-table thead th").all_inner_texts()[1:]
    rows = [row.locator("td").all_inner_texts() for row in page.locator("#hourly-table tbody tr").all()]
    from_table = {label: [int(row[1 + index]) for row in rows] for index, label in enumerate(header)}
    assert drawn == from_table
    assert drawn["Delivered"][0] == 3 and drawn["Bounced"][2] == 1 and drawn["Spam complaints"][2] == 1

    funnel = page.evaluate("() => Chart.getChart('funnel-chart').data.datasets[0].data")
    funnel_table = [int(cell) for cell in page.locator("#funnel-table tbody td:nth-child(2)").all_inner_texts()]
    assert funnel == funnel_table == [4, 3, 0, 1]
    pixels = page.evaluate(
        "() => { const c = document.getElementById('hourly-chart'); const d = c.getContext('2d')"
        ".getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++;"
        " return n; }"
    )
    assert pixels > 0  # something was painted on the canvas
