"""Home and the campaign report in the browser: each role's to-dos, a chart drawn from the numbers in its table, and
the posts' metrics on a phone."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from service.campaigns import lifecycle
from service.extensions import db
from service.models import Delivery, EmailEvent, PostMetrics, User
from tests.browser.logins import log_in_as, log_out
from tests.factories import add_subscriber, approve_and_schedule, draft_campaign, import_seed, make_user

pytestmark = pytest.mark.browser
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"


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
        message.delivery_count = 4  # as the send ledger keeps it
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


@pytest.fixture
def posted_thread(live_app, live_users, seed_article_text) -> int:
    """A sent campaign whose X message went out as a thread of three posts, with the totals the worker last read."""
    with live_app.app_context():
        marketer = db.session.scalar(select(User).where(User.email == live_users["marketer"]))
        reviewer = db.session.scalar(select(User).where(User.email == live_users["reviewer"]))
        snippet_id = import_seed(seed_article_text).snippets[0].id
        now = datetime.now(UTC)
        campaign = draft_campaign(
            live_app, marketer, [snippet_id], now + timedelta(hours=1), name="Thread news", send_email=False
        )
        approve_and_schedule(live_app, campaign, marketer, reviewer, now)
        message = campaign.messages[0]
        message.status, message.finished_at = "sent", now - timedelta(hours=2)
        for part, (impressions, likes) in enumerate(((1200, 30), (300, 5), (None, 1))):
            delivery = Delivery(
                message_id=message.id, part_index=part, channel="x", status="sent", provider_id=f"186000000000000{part}"
            )
            db.session.add(delivery)
            db.session.flush()
            db.session.add(PostMetrics(delivery_id=delivery.id, impressions=impressions, likes=likes, fetched_at=now))
        db.session.commit()
        return campaign.id


def test_the_reports_post_metrics_fit_a_phone_and_pass_axe(live_server, live_users, browser, posted_thread):
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)  # axe is injected
    page = context.new_page()
    log_in_as(page, live_server.url, live_users["marketer"])
    page.goto(f"{live_server.url}/campaigns/{posted_thread}/report")

    rows = [row.locator("th, td").all_inner_texts() for row in page.locator("table.post-metrics tr").all()]
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    page.add_script_tag(content=AXE.read_text())
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .filter(v => ['serious', 'critical'].includes(v.impact)).map(v => `${v.id}: ${v.help}`)"""
    )
    context.close()

    assert rows[1] == ["Post", "1200", "30", "0", "0", "0"]
    assert rows[3] == ["Reply 2", "not given", "1", "0", "0", "0"]
    assert rows[4] == ["Whole thread", "1500", "36", "0", "0", "0"]
    assert widths[0] <= widths[1], "the page is wider than the phone"
    assert violations == []
