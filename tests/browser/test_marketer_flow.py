"""A marketer, as a new user would: log in, import an article, plan a campaign, get it reviewed and scheduled."""

from datetime import UTC, datetime, timedelta

import pytest

from service.timezones import utc_to_local
from tests.browser.logins import log_in_as, log_out

pytestmark = pytest.mark.browser

ARTICLE = """# Getting ready for your first visit

## What to bring
Bring a photo ID, a list of your current medications and the name of a friend who can drive you home.

## How long it takes
Plan for about two hours, including the check-in, the session itself and time to rest afterwards.
"""


def test_import_plan_review_and_schedule_a_campaign(live_server, live_users, page):
    base = live_server.url
    log_in_as(page, base, live_users["marketer"])

    page.click("text=Articles")
    page.click("text=Import an article")
    page.fill("textarea[name=pasted]", ARTICLE)
    page.fill("input[name=filename]", "first-visit.md")
    page.click("button:has-text('Import')")
    page.wait_for_selector("text=What to bring")

    page.click("text=New campaign")
    page.fill("input[name=name]", "First visit tips")
    page.locator("li", has_text="What to bring").locator("input").check()
    page.fill("input[name=email_subject]", "Getting ready for your first visit")
    page.check("input[name=topics][value=newsletter]")
    tz = live_server.app.config["CLINIC_TIMEZONE"]
    yesterday = utc_to_local(datetime.now(UTC) - timedelta(days=1), tz)
    page.fill("input[name=start_date]", yesterday.strftime("%Y-%m-%d"))
    page.fill("input[name=send_time]", "09:00")
    page.click("button:has-text('Save draft')")

    error = page.locator(".error", has_text="in the past")
    error.wait_for()
    assert page.input_value("input[name=name]") == "First visit tips", "what was typed is kept"
    assert page.input_value("input[name=email_subject]") == "Getting ready for your first visit"

    tomorrow = utc_to_local(datetime.now(UTC) + timedelta(days=1), tz)
    page.fill("input[name=start_date]", tomorrow.strftime("%Y-%m-%d"))
    page.click("button:has-text('Save draft')")
    page.wait_for_selector("h1:has-text('First visit tips')")
    page.click("button:has-text('Submit for review')")
    page.wait_for_selector(".status:has-text('in review')")
    log_out(page)

    log_in_as(page, base, live_users["reviewer"])
    page.click("text=First visit tips")
    page.click("button:has-text('Approve')")
    page.wait_for_selector(".status:has-text('approved')")
    page.click("button:has-text('Schedule')")
    page.wait_for_selector("h1 .status:has-text('scheduled')")

    page.click("nav >> text=Campaigns")
    row = page.locator("tr", has_text="First visit tips")
    assert "scheduled" in row.inner_text()
