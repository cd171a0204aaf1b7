"""The campaign preview's email frames (desktop and phone) are as tall as the email: its footer is never cut off."""

import pytest

from tests.browser.drafts import draft_from_article
from tests.browser.logins import log_in_as

pytestmark = pytest.mark.browser

ARTICLE = "# A long letter\n\n## Before your first visit\n" + "\n\n".join(
    f"Paragraph {n} of a long section, long enough to wrap on a phone's screen and then some." for n in range(60)
)
# The footer's last line is the clinic's postal address (templates/email/mjml/_footer.mjml).
FOOTER_FITS = """([frame, address]) => {
    const doc = frame.contentDocument;
    if (!doc || doc.readyState !== 'complete' || !doc.body) { return false; }
    const lines = Array.from(doc.body.querySelectorAll('p, div, td')).filter(el => el.textContent.includes(address));
    const footer = lines[lines.length - 1];
    return !!footer && footer.getBoundingClientRect().bottom <= frame.clientHeight;
}"""


@pytest.fixture
def campaign_id(live_app, live_users) -> int:
    return draft_from_article(
        live_app, live_users["marketer"], ARTICLE, filename="long.md", name="Long", send_post=False
    )


@pytest.mark.parametrize("width", [1400, 390])
@pytest.mark.parametrize("name", ["desktop", "phone"])
def test_each_preview_frame_shows_the_whole_email_down_to_its_footer(
    live_server, live_users, page, campaign_id, width, name
):
    page.set_viewport_size({"width": width, "height": 800})
    log_in_as(page, live_server.url, live_users["marketer"])
    page.goto(f"{live_server.url}/campaigns/{campaign_id}/preview/0")

    frame = page.wait_for_selector(f"iframe.email-preview.{name}")
    sandbox = frame.get_attribute("sandbox")
    assert sandbox is not None and "allow-scripts" not in sandbox, "sandboxed: no script may run in the email"
    address = live_server.app.config["CLINIC_POSTAL_ADDRESS"]
    page.wait_for_function(FOOTER_FITS, arg=[frame, address])
    height = frame.evaluate("frame => frame.clientHeight")
    content = frame.evaluate("frame => frame.contentDocument.documentElement.scrollHeight")
    assert content > 1000, "a long email, taller than the old fixed frame"
    assert content <= height < content + 100, "fitted to the email"


def test_a_frame_shown_again_after_the_plain_text_tab_is_still_fitted(live_server, live_users, page, campaign_id):
    page.set_viewport_size({"width": 1400, "height": 800})
    log_in_as(page, live_server.url, live_users["marketer"])
    page.goto(f"{live_server.url}/campaigns/{campaign_id}/preview/0")
    frame = page.wait_for_selector("iframe.email-preview.phone")
    address = live_server.app.config["CLINIC_POSTAL_ADDRESS"]
    page.wait_for_function(FOOTER_FITS, arg=[frame, address])

    page.click("label[for=tab-text]")
    page.set_viewport_size({"width": 1200, "height": 800})  # a resize while the frames are hidden
    page.click("label[for=tab-html]")
    page.wait_for_function(FOOTER_FITS, arg=[frame, address])
    assert frame.evaluate("frame => frame.clientHeight") > 1000
