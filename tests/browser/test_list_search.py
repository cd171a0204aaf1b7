"""Searching each list in the browser, as a marketer does: campaigns by name and by status, articles by title and
by text, subscribers by part of an address whatever its case ("alma" finds Alma@...)."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from service.articles.store import import_article
from service.extensions import db
from service.models import User
from service.timezones import local_to_utc, utc_to_local
from tests.browser.logins import log_in_as
from tests.factories import add_subscriber, approve_and_schedule, draft_campaign

pytestmark = pytest.mark.browser

AFTERCARE = """# After your session

## Resting afterwards
You rest in a quiet room until you feel steady.
"""
PREPARING = """# Preparing for your first visit

## The night before
Eat a light dinner and sleep well; bring a warm sweater.
"""


def shown(page, selector: str) -> list[str]:
    return sorted(page.locator(selector).all_inner_texts())


def search_campaigns(page, base_url: str, text: str = "", status: str = "") -> list[str]:
    page.goto(f"{base_url}/campaigns")
    page.fill("#campaign-q", text)
    page.select_option("#campaign-status", status)
    page.click("form[role=search] button[type=submit]")
    page.wait_for_load_state()
    return shown(page, "table.campaigns td[data-label=Name] a")


def search_articles(page, base_url: str, text: str) -> list[str]:
    page.goto(f"{base_url}/articles")
    page.fill("#article-q", text)
    page.click("form[role=search] button[type=submit]")
    page.wait_for_load_state()
    return shown(page, "table td[data-label=Title] a")


def search_subscribers(page, base_url: str, text: str) -> list[str]:
    page.goto(f"{base_url}/subscribers")
    page.get_by_label("Find by part of an address or name").fill(text)
    page.click("form.search button[type=submit]")
    page.wait_for_load_state()
    return shown(page, ".search-results td[data-label=Email]")


@pytest.fixture
def lists(live_server, live_users):
    """Two articles, three campaigns (one scheduled), three subscribers in the live app."""
    app = live_server.app
    with app.app_context():
        marketer = db.session.scalar(select(User).where(User.email == live_users["marketer"]))
        reviewer = db.session.scalar(select(User).where(User.email == live_users["reviewer"]))
        aftercare = import_article(db.session, AFTERCARE, filename="after.md").article
        import_article(db.session, PREPARING, filename="preparing.md")
        db.session.commit()
        tomorrow = utc_to_local(datetime.now(UTC), app.config["CLINIC_TIMEZONE"]).date() + timedelta(days=1)
        send_at = local_to_utc(tomorrow, time(9, 0), app.config["CLINIC_TIMEZONE"])
        snippet = [aftercare.snippets[0].id]
        scheduled = draft_campaign(app, marketer, snippet, send_at, name="Autumn aftercare")
        approve_and_schedule(app, scheduled, marketer, reviewer, datetime.now(UTC))
        draft_campaign(app, marketer, snippet, send_at, name="Autumn welcome")
        draft_campaign(app, marketer, snippet, send_at, name="Winter letter")
        for address in ("Alma.Reyes@example.org", "salma@example.net", "bruno@example.org"):
            add_subscriber(app, address)


def test_each_list_finds_what_is_searched_for(live_server, live_users, lists, page):
    base = live_server.url
    log_in_as(page, base, live_users["marketer"])

    assert search_campaigns(page, base, "autumn") == ["Autumn aftercare", "Autumn welcome"]
    assert search_campaigns(page, base, "", "scheduled") == ["Autumn aftercare"]
    assert search_campaigns(page, base, "autumn", "draft") == ["Autumn welcome"]
    assert search_campaigns(page, base, "spring") == []
    assert "No campaign matches." in page.inner_text("main")

    assert search_articles(page, base, "preparing") == ["Preparing for your first visit"]
    assert search_articles(page, base, "warm sweater") == ["Preparing for your first visit"], "the text, not the title"
    assert search_articles(page, base, "quiet room") == ["After your session"]

    assert search_subscribers(page, base, "alma") == ["Alma.Reyes@example.org", "salma@example.net"]
    assert search_subscribers(page, base, "ALMA.R") == ["Alma.Reyes@example.org"]
    assert search_subscribers(page, base, "@example.org") == ["Alma.Reyes@example.org", "bruno@example.org"]
