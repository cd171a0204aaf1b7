"""The claims library in the browser: a reviewer links a finding to a library claim, and the campaign's review
passes; a claim proposed on the library page needs a second reviewer before it is live."""

import pytest
from sqlalchemy import select

from service.compliance.library import seed_library
from service.extensions import db
from service.models import AuditEntry, Campaign, FindingLink, User
from tests.browser.logins import PASSWORD, log_in_as, log_out
from tests.factories import campaign_from_sections, make_user

pytestmark = pytest.mark.browser

CLOSE_TO_DAKWAR = (
    "In one randomised trial of 55 adults with cocaine use disorder, 48.2% of the people given a single ketamine "
    "infusion plus mindfulness-based relapse prevention stayed abstinent over the final two weeks, against 10.7% of "
    "those given midazolam."
)


@pytest.fixture
def campaign_id(live_app, live_users) -> int:
    with live_app.app_context():
        seed_library(db.session)
        db.session.commit()
        author = db.session.scalar(select(User).where(User.email == live_users["marketer"]))
        campaign = campaign_from_sections(
            live_app, author, [("From the research", CLOSE_TO_DAKWAR)], name="Research news", send_post=False
        )
        return campaign.id


def test_a_reviewer_links_a_finding_to_a_library_claim_and_the_review_passes(
    live_server, live_app, live_users, page, campaign_id
):
    base = live_server.url
    review_url = f"{base}/campaigns/{campaign_id}/review"

    # The reviewer sees the figure blocked, with the close library claim offered, and confirms it.
    log_in_as(page, base, live_users["reviewer"])
    page.goto(review_url)
    row = page.locator("tr.finding-row.block", has_text="success-rate-uncited").first
    assert "Close to a library claim" in row.inner_text()
    assert "1 finding must be fixed" in page.locator(".summary").inner_text()
    row.locator("button:has-text('Confirm: this says the library claim')").click()
    page.wait_for_selector("text=Finding linked to")
    assert "Nothing blocks" in page.locator(".summary").inner_text()
    assert "Linked to" in page.locator("tr.finding-row", has_text="success-rate-uncited").first.inner_text()
    log_out(page)

    # The marketer submits; the claims check passes with the link.
    log_in_as(page, base, live_users["marketer"])
    page.goto(review_url)
    page.click("button:has-text('Submit for review')")
    page.wait_for_selector("h1 .status:has-text('in review')")
    log_out(page)

    # The reviewer approves.
    log_in_as(page, base, live_users["reviewer"])
    page.goto(review_url)
    page.click("button:has-text('Approve')")
    page.wait_for_selector("h1 .status:has-text('approved')")

    with live_app.app_context():
        assert db.session.get(Campaign, campaign_id).status == "approved"
        link = db.session.scalar(select(FindingLink))
        assert link.how == "confirmed" and link.rule == "success-rate-uncited"
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "finding:linked"))


def test_a_claim_proposed_on_the_library_page_is_live_only_after_a_second_reviewer(live_server, live_app, page):
    with live_app.app_context():
        make_user("rey@example.org", "reviewer", PASSWORD)
        make_user("sam@example.org", "reviewer", PASSWORD)
    base = live_server.url
    log_in_as(page, base, "rey@example.org")
    page.goto(f"{base}/library/")
    page.click("text=Propose a claim")
    page.fill("input[name=title]", "Our own wording")
    page.fill("textarea[name=wording]", "Ketamine is being studied for alcohol use disorder.")
    page.fill("input[name=scope]", "alcohol use disorder")
    page.fill("input[name=review_by]", "2099-01-01")
    page.select_option("select[name=evidence_kind]", "randomised-trial")
    page.fill("textarea[name=evidence_title]", "A trial")
    page.click("button:has-text('Propose this claim')")
    assert "DOI, PMID or a link" in page.locator(".field.has-error").inner_text()
    assert page.input_value("input[name=title]") == "Our own wording", "what was typed is kept"
    page.fill("input[name=evidence_doi]", "10.1176/appi.ajp.2021.21030277")
    page.click("button:has-text('Propose this claim')")
    page.wait_for_selector("text=Another reviewer must approve it")
    assert page.locator("text=You proposed this version").count() == 1
    assert page.locator("button:has-text('Approve version 1')").count() == 0
    log_out(page)

    log_in_as(page, base, "sam@example.org")
    page.goto(f"{base}/library/")
    page.click("text=Our own wording")
    page.click("button:has-text('Approve version 1')")
    page.wait_for_selector("text=Version 1 is now approved")
    page.goto(f"{base}/library/")
    assert "live, v1" in page.locator("tr", has_text="Our own wording").inner_text()
