"""The outbox's email frame is as tall as the email in it: its footer is never cut off, at desktop or phone width."""

import pytest

from service.channels.email.base import OutgoingEmail, Recipient
from service.channels.registry import email_channel_for
from tests.browser.logins import log_in_as
from tests.factories import make_user

pytestmark = pytest.mark.browser

LONG_EMAIL = (
    '<!DOCTYPE html><html lang="en"><head><title>Long</title></head><body>'
    + "".join(f"<p>Paragraph {n} of a long newsletter, long enough to wrap on a phone's screen.</p>" for n in range(80))
    + '<p id="footer">Clinic address · Unsubscribe</p></body></html>'
)
FOOTER_FITS = """frame => {
    const doc = frame.contentDocument;
    const footer = doc && doc.getElementById('footer');
    return !!footer && doc.readyState === 'complete' && footer.getBoundingClientRect().bottom <= frame.clientHeight;
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_the_email_frame_shows_the_whole_email_down_to_its_footer(live_server, page, width):
    app = live_server.app
    with app.app_context():
        admin = make_user("admin@example.org", "admin").email  # the outbox shows addresses: admins only
        email_channel_for(app.config).send_batch(
            OutgoingEmail(subject="Long", html=LONG_EMAIL, text="Long"), [Recipient("reader@example.org")]
        )
    page.set_viewport_size({"width": width, "height": 800})
    log_in_as(page, live_server.url, admin)
    page.goto(f"{live_server.url}/outbox")
    page.click("text=Long")

    frame = page.wait_for_selector("iframe[data-fit-content]")
    page.wait_for_function(FOOTER_FITS, arg=frame)
    height = frame.evaluate("frame => frame.clientHeight")
    content = frame.evaluate("frame => frame.contentDocument.documentElement.scrollHeight")
    assert content <= height < content + 100, "fitted to the email, not the generous fallback"
