"""Composing a newsletter in the browser: add a section, reorder by dragging, edit with a live claims highlight,
add an image with its alt text, preview at desktop and phone width (no placeholder visible), send a test, submit."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.articles.store import import_article
from service.extensions import db
from service.models import Campaign, User
from tests.browser.logins import log_in_as
from tests.factories import draft_campaign
from tests.media.images import image_bytes

pytestmark = pytest.mark.browser

ARTICLE = """# Visit notes

## Arrival
Come ten minutes early and bring a photo ID.

## Aftercare
Plan a calm evening at home; a friend drives you.

## Parking
Parking behind the building is free.
"""
CLAIM = "Many people notice relief within hours."
PLACEHOLDERS = re.compile(r"-(greeting_html|greeting_text|unsubscribe_url|first_name)-|\{\{|\}\}")


@pytest.fixture
def campaign_id(live_app, live_users) -> int:
    with live_app.app_context():
        author = db.session.scalar(select(User).where(User.email == live_users["marketer"]))
        article = import_article(db.session, ARTICLE, filename="visit.md").article
        db.session.commit()
        when = datetime.now(UTC) + timedelta(days=1)
        campaign = draft_campaign(
            live_app,
            author,
            [article.snippets[0].id, article.snippets[1].id],
            when,
            name="Visit notes",
            email_subject="{{ first_name }}, before your visit",
            send_post=False,
        )
        return campaign.id


def headings(page) -> list[str]:
    return [field.input_value() for field in page.locator("input[name=section_heading]").all()]


def test_compose_preview_test_send_and_submit(live_server, live_users, page, campaign_id, tmp_path):
    base = live_server.url
    log_in_as(page, base, live_users["marketer"])

    # An image for the library, with the description every image must have.
    picture = tmp_path / "room.png"
    picture.write_bytes(image_bytes("PNG"))
    page.goto(f"{base}/media-library")
    page.set_input_files("input[name=image]", str(picture))
    page.fill("textarea[name=alt_text]", "A quiet treatment room with a reclining chair")
    page.click("button:has-text('Upload')")
    page.wait_for_selector("text=Added")

    page.goto(f"{base}/campaigns/{campaign_id}/compose/0")
    assert headings(page) == ["Arrival", "Aftercare"]

    # Add a section from the article (a round trip that keeps what is on the page), then drag it to the top.
    page.select_option("#add-snippet", label="Parking")
    page.click("button:has-text('Add this section')")
    page.wait_for_function("document.querySelectorAll('input[name=section_heading]').length === 3")
    sections = page.locator("[data-section]")
    # Tall enough that both sections are on screen: nothing scrolls between picking up and dropping.
    page.set_viewport_size({"width": 1400, "height": 2400})
    sections.nth(2).drag_to(sections.nth(0), source_position={"x": 10, "y": 10}, target_position={"x": 30, "y": 5})
    assert headings(page) == ["Parking", "Arrival", "Aftercare"]
    # The keyboard way: a button moves a section in place and keeps the focus on it.
    sections.nth(1).locator("[data-move=down]").click()
    assert headings(page) == ["Parking", "Aftercare", "Arrival"]

    # Typing a claim is flagged live, with the review page's highlight; rewording clears it.
    body = page.locator("textarea[name=section_body]").nth(0)
    body.fill(f"Parking is free. {CLAIM}")
    highlight = page.locator("[data-section] >> nth=0 >> .live-check mark.finding.block")
    highlight.wait_for()
    assert highlight.inner_text() == "within hours"
    body.fill("Parking behind the building is **free**.")
    page.locator("[data-section] >> nth=0 >> .live-check").wait_for(state="hidden")
    assert "<strong>free</strong>" in page.locator("[data-md-preview]").nth(0).inner_html()

    image = page.locator("#section-media-0 option", has_text="A quiet treatment room").get_attribute("value")
    page.select_option("#section-media-0", value=image)
    page.fill("#preheader", "Three short notes before you come in")
    page.click("#save-email")
    page.wait_for_selector("text=Email saved")
    assert headings(page) == ["Parking", "Aftercare", "Arrival"], "the order as dragged was saved"

    # The preview, exactly as sent: desktop and phone side by side, nothing left unfilled.
    page.click("text=Preview as sent")
    page.wait_for_selector(".email-preview.phone")
    assert "there, before your visit" in page.locator(".preview-subject").inner_text()
    widths = [page.locator(f".email-preview.{name}").bounding_box()["width"] for name in ("desktop", "phone")]
    assert widths[0] > 600 and 360 <= widths[1] <= 400
    for name in ("desktop", "phone"):
        frame = page.frame_locator(f".email-preview.{name}")
        text = frame.locator("body").inner_text()
        assert "Parking" in text and "Hello," in text and not PLACEHOLDERS.search(text)
        assert frame.locator("img[alt='A quiet treatment room with a reclining chair']").count() == 1
    page.click("label[for=tab-text]")
    plain = page.locator(".email-text-part")
    plain.wait_for()
    assert "Parking behind the building is free." in plain.inner_text()
    assert not PLACEHOLDERS.search(plain.inner_text())

    page.click("button:has-text('Send test')")
    page.wait_for_selector(f"text=A test email is on its way to {live_users['marketer']}")

    page.click("button:has-text('Submit for review')")
    page.wait_for_selector(".status:has-text('in review')")
    with live_server.app.app_context():
        assert db.session.get(Campaign, campaign_id).status == "in_review"
