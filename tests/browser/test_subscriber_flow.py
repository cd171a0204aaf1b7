"""A subscriber, on a phone-sized screen: sign up, confirm from the email, then leave from the welcome email."""

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Subscriber
from tests.browser.logins import log_in_as
from tests.factories import add_subscriber
from tests.outbox import Outbox

pytestmark = pytest.mark.browser

ADDRESS = "reader@example.org"


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_sign_up_confirm_and_unsubscribe_as_a_subscriber(live_server, page):
    app = live_server.app
    outbox = Outbox(app.config["OUTBOX_DIR"])
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/subscribe")
    assert "Daytryp Health" in page.title()
    assert fits_the_screen(page)

    # Found by their visible labels, as assistive technology finds them.
    page.get_by_label("Email address").fill(ADDRESS)
    page.get_by_label("First name (optional)").fill("Robin")
    page.get_by_label("Ketamine-assisted psychotherapy (KAP)").check()
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    assert ADDRESS not in page.url

    [confirmation] = outbox.emails_arriving(ADDRESS)
    page.goto(confirmation.link("/confirm/"))
    page.get_by_role("button", name="Yes, subscribe me").click()
    page.get_by_role("heading", name="You are subscribed").wait_for()
    assert page.get_by_text("Ketamine-assisted psychotherapy (KAP)").is_visible()

    welcome = next(m for m in outbox.emails_to(ADDRESS) if m["Subject"].startswith("Welcome"))
    page.goto(welcome.link("/unsubscribe/"))
    assert fits_the_screen(page)
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("heading", name="You are unsubscribed").wait_for()

    with app.app_context():
        subscriber = db.session.scalar(select(Subscriber))
        assert (subscriber.email, subscriber.status, subscriber.first_name) == (ADDRESS, "unsubscribed", "Robin")
        assert subscriber.confirmed_at is not None
        db.session.remove()


def test_a_mistyped_address_is_shown_back_with_the_error(live_server, page):
    page.goto(f"{live_server.url}/subscribe")
    page.get_by_label("Email address").fill("reader@@example")
    page.get_by_role("button", name="Subscribe").click()
    page.get_by_role("alert").wait_for()
    assert page.get_by_label("Email address").input_value() == "reader@@example"
    assert page.get_by_label("Email address").get_attribute("aria-invalid") == "true"
    assert page.get_by_text("Choose at least one topic.").is_visible()


def test_the_campaign_form_counts_the_audience_as_topics_are_ticked(live_server, live_users, page):
    with live_server.app.app_context():
        add_subscriber(live_server.app, "a@example.org", topics=("kap",))
        add_subscriber(live_server.app, "b@example.org", topics=("kap", "events"))
        add_subscriber(live_server.app, "c@example.org", topics=("events",), status="pending")
        db.session.remove()
    log_in_as(page, live_server.url, live_users["marketer"])
    page.goto(f"{live_server.url}/campaigns/new")
    count = page.locator("[data-audience-count]")
    assert count.inner_text() == "0 confirmed subscribers"
    page.check("input[name=topics][value=kap]")
    page.wait_for_function("() => document.querySelector('[data-audience-count]').textContent.startsWith('2 ')")
    page.check("input[name=topics][value=events]")
    page.uncheck("input[name=topics][value=kap]")
    page.wait_for_function(
        "() => document.querySelector('[data-audience-count]').textContent === '1 confirmed subscriber'"
    )
