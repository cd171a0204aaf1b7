"""The post editor at phone width: each post's text box fills the width it is given, not a narrow default."""

import pytest

from tests.browser.drafts import draft_from_article
from tests.browser.logins import log_in_as

pytestmark = pytest.mark.browser

ARTICLE = """# After your session

## Resting afterwards
You rest in a quiet room until you feel steady.
"""
# Each text box against the inside of its post's box (the fieldset, less its padding and border).
WIDTHS = """() => Array.from(document.querySelectorAll('.post-part textarea')).map(box => {
    const part = box.closest('.post-part');
    const style = getComputedStyle(part);
    const inside = part.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return [box.getBoundingClientRect().width, inside];
})"""


@pytest.fixture
def campaign_id(live_app, live_users) -> int:
    return draft_from_article(live_app, live_users["marketer"], ARTICLE, filename="after.md", name="Rest")


@pytest.mark.parametrize("width", [390, 1400])
def test_each_post_text_box_fills_the_width_of_its_post(live_server, live_users, page, campaign_id, width):
    page.set_viewport_size({"width": width, "height": 844})
    log_in_as(page, live_server.url, live_users["marketer"])
    page.goto(f"{live_server.url}/campaigns/{campaign_id}/posts/0")

    widths = page.evaluate(WIDTHS)
    assert len(widths) == 2, "the drafted post and the empty box to add one"
    for box, inside in widths:
        assert box == pytest.approx(inside, abs=1)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "and the page does not scroll sideways"
