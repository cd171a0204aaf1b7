"""The review page in the browser: one reason accepts a warning in the email and the post without a reload (an
empty reason is refused beside the box), and a comment on a finding is answered in its thread."""

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import User
from tests.browser.logins import log_in_as, log_out
from tests.compliance.review_texts import WARN_SENTENCE, campaign_with_text

pytestmark = pytest.mark.browser


@pytest.fixture
def campaign_id(live_app, live_users) -> int:
    with live_app.app_context():
        author = db.session.scalar(select(User).where(User.email == live_users["marketer"]))
        return campaign_with_text(live_app, author, [("Safety", WARN_SENTENCE)], name="Safety notes", send_post=True).id


def test_one_reason_for_every_occurrence_without_a_reload_then_a_comment_thread(
    live_server, live_users, page, campaign_id
):
    base = live_server.url
    review_url = f"{base}/campaigns/{campaign_id}/review"
    log_in_as(page, base, live_users["marketer"])
    page.goto(review_url)
    rows = page.locator("tr.finding-row.warn")
    assert rows.count() == 2  # the email body and the post
    page.evaluate("window.stillTheSamePage = true")

    first = rows.nth(0)
    first.locator("button:has-text('Accept with this reason')").click()
    error = first.locator("form.accept .error")
    error.wait_for()
    assert "Write why this wording is acceptable" in error.inner_text()
    assert page.evaluate("document.activeElement.name") == "reason", "the reader stays at the box"

    first.locator("textarea[name=reason]").fill("The footer names the side effects.")
    first.locator("input[name=every]").check()
    first.locator("button:has-text('Accept with this reason')").click()
    page.locator("tr.finding-row.warn p.accepted").nth(1).wait_for()
    for index in range(2):
        assert "The footer names the side effects." in rows.nth(index).locator("p.accepted").inner_text()
    assert page.locator("form.accept").count() == 0
    assert "accepted in all 2 places" in first.locator(".flash[role=status]").inner_text()
    assert page.locator("[data-accepted-count]").inner_text() == "2"
    assert page.evaluate("window.stillTheSamePage === true"), "accepted in place, without a reload"

    second = rows.nth(1)
    second.locator("summary:has-text('Comment on this finding')").click()
    second.locator("textarea[name=body]").fill("Is the post too short to name them?")
    second.locator("button:has-text('Add comment')").click()
    page.wait_for_url(f"{review_url}#finding-*")
    log_out(page)

    log_in_as(page, base, live_users["reviewer"])
    page.goto(review_url)
    second = page.locator("tr.finding-row.warn").nth(1)
    assert second.locator(".comment-body").all_inner_texts() == ["Is the post too short to name them?"]
    second.locator("summary:has-text('Reply')").click()
    second.locator(".reply-form textarea").fill("It links to the article, which does.")
    second.locator("button:has-text('Send reply')").click()
    page.wait_for_url(f"{review_url}#finding-*")
    second = page.locator("tr.finding-row.warn").nth(1)
    assert second.locator(".comment-body").all_inner_texts() == [
        "Is the post too short to name them?",
        "It links to the article, which does.",
    ]
    page.goto(f"{base}/campaigns/{campaign_id}")
    assert "It links to the article, which does." in page.locator(".review-comments").inner_text()

    # Findings with their threads and forms still fit a phone (the page sweep's campaign has no findings).
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(review_url)
    page.locator("tr.finding-row.warn summary:has-text('Reply')").first.click()
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
