"""The calendar in a browser: drag a scheduled send to another day and its messages move, at the same time of day."""

from datetime import UTC, datetime, time, timedelta

import pytest

from service.articles.store import import_article
from service.extensions import db
from service.models import Campaign, User
from service.timezones import local_to_utc, utc_to_local
from tests.browser.logins import log_in_as
from tests.factories import approve_and_schedule, draft_campaign

pytestmark = pytest.mark.browser

ARTICLE = """# After your session

## Resting afterwards
You rest in a quiet room until you feel steady.
"""


def test_dragging_a_send_to_another_day_moves_its_messages(live_server, live_users, page):
    app = live_server.app
    tz = app.config["CLINIC_TIMEZONE"]
    today = utc_to_local(datetime.now(UTC), tz).date()
    with app.app_context():
        article = import_article(db.session, ARTICLE, filename="after.md").article
        db.session.commit()
        marketer = db.session.query(User).filter_by(email=live_users["marketer"]).one()
        reviewer = db.session.query(User).filter_by(email=live_users["reviewer"]).one()
        campaign = draft_campaign(
            app, marketer, [article.snippets[0].id], local_to_utc(today + timedelta(days=2), time(9), tz), name="Rest"
        )
        approve_and_schedule(app, campaign, marketer, reviewer, datetime.now(UTC))
        campaign_id = campaign.id

    log_in_as(page, live_server.url, live_users["marketer"])
    page.goto(f"{live_server.url}/calendar")
    event = page.locator(".fc-event", has_text="Rest (Email + X)")
    event.wait_for()
    target_day = today + timedelta(days=3)
    target = page.locator(f"td.fc-daygrid-day[data-date='{target_day.isoformat()}']")
    source_box, target_box = event.bounding_box(), target.bounding_box()
    page.mouse.move(source_box["x"] + source_box["width"] / 2, source_box["y"] + source_box["height"] / 2)
    page.mouse.down()
    page.mouse.move(target_box["x"] + target_box["width"] / 2, target_box["y"] + target_box["height"] / 2, steps=12)
    page.mouse.up()

    page.wait_for_selector("[data-calendar-status]:has-text('Moved')")
    with app.app_context():
        messages = db.session.get(Campaign, campaign_id).messages
        assert {utc_to_local(m.send_at, tz).replace(tzinfo=None) for m in messages} == {
            datetime.combine(target_day, time(9))
        }
        assert len(messages) == 2
