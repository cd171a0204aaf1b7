"""The review loop in the browser: submit, the reviewer's queue and email, send back with a comment, the author
sees it, resubmit, approve and schedule in one step."""

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import User
from tests.browser.logins import log_in_as, log_out
from tests.compliance.review_texts import CLEAN_SENTENCE, campaign_with_text
from tests.outbox import Outbox

pytestmark = pytest.mark.browser


@pytest.fixture
def campaign_id(live_app, live_users) -> int:
    with live_app.app_context():
        author = db.session.scalar(select(User).where(User.email == live_users["marketer"]))
        return campaign_with_text(live_app, author, [("Opening hours", CLEAN_SENTENCE)], name="Spring hours").id


def test_the_review_loop_carries_its_comment_and_ends_scheduled(live_app, live_server, live_users, page, campaign_id):
    base = live_server.url
    review_url = f"{base}/campaigns/{campaign_id}/review"

    log_in_as(page, base, live_users["marketer"])
    page.goto(review_url)
    page.click("button:has-text('Submit for review')")
    page.wait_for_selector("h1 .status:has-text('in review')")
    log_out(page)

    log_in_as(page, base, live_users["reviewer"])
    page.click("nav >> text=Review queue")
    assert page.locator(f"tr[data-campaign='{campaign_id}']").count() == 1
    # The outbox page is for admins only; the note is read from the outbox the channel wrote.
    notes = Outbox(live_app.config["OUTBOX_DIR"]).emails_to(live_users["reviewer"])
    assert [note.subject for note in notes] == ["Waiting for your review: Spring hours"]
    page.goto(f"{base}/review")
    page.click("text=Spring hours")
    page.fill("#send-back-comment", "Say which Saturdays.")
    page.click("button:has-text('Send back')")
    page.wait_for_selector("h1 .status:has-text('draft')")
    log_out(page)

    log_in_as(page, base, live_users["marketer"])
    page.goto(f"{base}/campaigns/{campaign_id}")
    assert "Say which Saturdays." in page.locator(".send-back-note").inner_text()
    page.goto(review_url)
    page.click("button:has-text('Submit for review')")
    page.wait_for_selector("h1 .status:has-text('in review')")
    assert page.locator(".send-back-note").count() == 0
    log_out(page)

    log_in_as(page, base, live_users["reviewer"])
    page.goto(review_url)
    page.click("button:has-text('Approve and schedule')")
    page.wait_for_selector("h1 .status:has-text('scheduled')")
