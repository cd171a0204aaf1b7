"""Review in the browser: a refused submission, a warning accepted with a reason, sent back, fixed, approved."""

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry, Campaign, User
from tests.browser.logins import log_in_as, log_out
from tests.compliance.review_texts import BLOCK_SENTENCE, WARN_SENTENCE, campaign_with_text

pytestmark = pytest.mark.browser

FIXED_SENTENCE = "Common side effects include nausea and dizziness; staff check on you throughout."


@pytest.fixture
def campaign_id(live_app, live_users) -> int:
    """The marketer's draft: one section with a warning and a blocking claim."""
    with live_app.app_context():
        author = db.session.scalar(select(User).where(User.email == live_users["marketer"]))
        campaign = campaign_with_text(
            live_app,
            author,
            [("Staying safe", f"{WARN_SENTENCE} {BLOCK_SENTENCE}")],
            name="Safety notes",
            send_post=False,
        )
        return campaign.id


def _edit_body(page, body: str) -> None:
    review_url = page.url
    page.click("text=Edit text")
    page.fill("textarea[name=section_body]", body)
    page.click("#save-email")
    page.wait_for_selector("text=Email saved")
    page.goto(review_url)


def test_submit_refused_then_sent_back_fixed_approved_and_scheduled(live_server, live_users, page, campaign_id):
    base = live_server.url
    review_url = f"{base}/campaigns/{campaign_id}/review"

    # The marketer submits; the claims check refuses and shows why, marked in the rendered email.
    log_in_as(page, base, live_users["marketer"])
    page.click("text=Safety notes")
    page.click("button:has-text('Submit for review')")
    page.wait_for_url(review_url)
    assert "Fix these before submitting" in page.locator(".flash.error").inner_text()
    assert page.locator(".email-text mark.finding.block").inner_text() == "within hours"
    assert "timing" in page.locator(".email-text mark.finding.block").get_attribute("title")

    # The marketer removes the blocking claim, accepts the warning with a reason, and submits.
    _edit_body(page, WARN_SENTENCE)
    assert page.locator("mark.finding.block").count() == 0
    page.fill("textarea[name=reason]", "The footer lists the side effects right below.")
    page.click("button:has-text('Accept with this reason')")
    page.wait_for_selector("text=Warning accepted")
    page.click("button:has-text('Submit for review')")
    page.wait_for_selector("h1 .status:has-text('in review')")
    log_out(page)

    # The reviewer sees the warning marked inline, with the marketer's reason, and sends it back.
    log_in_as(page, base, live_users["reviewer"])
    page.click("text=Safety notes")
    page.click("text=Review & claims check")
    page.wait_for_url(review_url)
    warning = page.locator(".email-text mark.finding.warn")
    assert warning.inner_text() == "generally well tolerated"
    assert page.locator(".accepted", has_text="The footer lists the side effects right below.").count() == 1
    page.fill("textarea[name=comment]", "Name the side effects instead of summing them up.")
    page.click("button:has-text('Send back')")
    page.wait_for_selector("h1 .status:has-text('draft')")
    log_out(page)

    # The marketer rewrites the sentence; nothing is flagged any more; submits again.
    log_in_as(page, base, live_users["marketer"])
    page.goto(review_url)
    _edit_body(page, FIXED_SENTENCE)
    assert page.locator("mark.finding").count() == 0
    page.click("button:has-text('Submit for review')")
    page.wait_for_selector("h1 .status:has-text('in review')")
    log_out(page)

    # The reviewer approves, and schedules it from the campaign page.
    log_in_as(page, base, live_users["reviewer"])
    page.goto(review_url)
    page.click("button:has-text('Approve')")
    page.wait_for_selector("h1 .status:has-text('approved')")
    page.click("text=Schedule it on the campaign page")
    page.click("button:has-text('Schedule')")
    page.wait_for_selector("h1 .status:has-text('scheduled')")

    with live_server.app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign.status == "scheduled" and len(campaign.messages) == 1
        details = {entry.action: entry.detail for entry in db.session.scalars(select(AuditEntry))}
        assert "The footer lists the side effects right below." in details["finding:accepted"]
        assert details["status:in_review->draft"] == "Name the side effects instead of summing them up."
        assert "status:approved->scheduled" in details
