"""The campaign form's schedule in the browser: only the chosen kind's fields show, and the planned send dates are
listed as the fields change, before saving (the server computes them; clinic time America/Phoenix)."""

from datetime import UTC, datetime, timedelta

import pytest

from service.articles.store import import_article
from service.extensions import db
from service.timezones import utc_to_local
from tests.browser.logins import log_in_as

pytestmark = pytest.mark.browser

ARTICLE = """# After your session

## Resting afterwards
You rest in a quiet room until you feel steady.

## Getting home
Someone drives you home; no driving that day.
"""


def listed(page) -> list[str]:
    return page.locator("#planned-sends [data-planned-list] time").evaluate_all("els => els.map(e => e.dateTime)")


def wait_for_listed(page, first: str) -> None:
    page.wait_for_function(
        "first => { const t = document.querySelector('#planned-sends [data-planned-list] time');"
        " return t && t.dateTime === first; }",
        arg=first,
    )


def test_the_schedule_shows_its_kinds_fields_and_lists_planned_sends_live(live_server, live_users, page):
    with live_server.app.app_context():
        import_article(db.session, ARTICLE, filename="after.md")
        db.session.commit()
    today = utc_to_local(datetime.now(UTC), "America/Phoenix").date()
    log_in_as(page, live_server.url, live_users["marketer"])
    page.goto(f"{live_server.url}/campaigns/new")

    assert page.is_hidden("input[name=every_days]") and page.is_hidden("select[name=weekday]")
    assert page.inner_text("#planned-sends [data-planned-message]") == "Enter the date of the first send."

    page.locator("li", has_text="Resting afterwards").locator("input").check()
    page.locator("li", has_text="Getting home").locator("input").check()
    page.check("input[name=schedule_kind][value=drip]")
    assert page.is_visible("input[name=every_days]") and page.is_hidden("input[name=occurrences]")
    start = today + timedelta(days=3)
    page.fill("input[name=start_date]", start.isoformat())
    page.fill("input[name=send_time]", "09:30")
    page.fill("input[name=every_days]", "2")
    wait_for_listed(page, f"{start}T09:30")
    page.wait_for_function("() => document.querySelectorAll('#planned-sends [data-planned-list] li').length === 2")
    assert listed(page) == [f"{start}T09:30", f"{start + timedelta(days=2)}T09:30"]
    assert page.is_hidden("#planned-sends [data-planned-message]")

    page.check("input[name=schedule_kind][value=recurring]")
    assert page.is_hidden("input[name=every_days]") and page.is_visible("select[name=weekday]")
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    page.select_option("select[name=weekday]", "1")
    page.fill("input[name=occurrences]", "3")
    page.fill("input[name=start_date]", (tuesday + timedelta(days=1)).isoformat())  # a Wednesday
    page.wait_for_selector("#planned-sends [data-planned-message]:has-text('is a Wednesday')")
    assert "this campaign sends on Tuesdays. Choose a Tuesday" in page.inner_text("#planned-sends")
    assert page.is_hidden("#planned-sends [data-planned-list]")

    page.fill("input[name=start_date]", tuesday.isoformat())
    wait_for_listed(page, f"{tuesday}T09:30")
    assert listed(page) == [f"{tuesday + timedelta(weeks=week)}T09:30" for week in range(3)]
