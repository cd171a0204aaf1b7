"""The post editor's "As it will look on X" follows the typing (a moment after it stops), before anything is saved."""

import pytest
from sqlalchemy import func, select

from service.extensions import db
from service.models import PostDraft
from tests.browser.drafts import draft_from_article
from tests.browser.logins import log_in_as

pytestmark = pytest.mark.browser

ARTICLE = """# After your session

## Resting afterwards
You rest in a quiet room until you feel steady.
"""


@pytest.fixture
def campaign_id(live_app, live_users) -> int:
    return draft_from_article(live_app, live_users["marketer"], ARTICLE, filename="after.md", name="Rest")


def previewed_posts(page) -> list[str]:
    return page.locator(".x-preview .x-post .x-text").all_inner_texts()


def test_the_x_preview_changes_while_typing_without_saving(live_server, live_users, page, campaign_id):
    log_in_as(page, live_server.url, live_users["marketer"])
    page.goto(f"{live_server.url}/campaigns/{campaign_id}/posts/0")
    drafted = previewed_posts(page)
    assert len(drafted) == 1 and drafted[0].startswith("Resting afterwards")
    page.wait_for_selector(".x-preview .hint:has-text('Updates as you type.')")

    page.fill("#part-0-text", "A calm evening <b>at home</b> after your session. 1/2")
    page.wait_for_function("() => document.querySelector('.x-preview .x-text').textContent.includes('calm evening')")
    assert previewed_posts(page) == ["A calm evening <b>at home</b> after your session. 1/2"], "text, never HTML"

    page.fill("#part-1-text", "Someone drives you home. 2/2")
    page.wait_for_function("() => document.querySelectorAll('.x-preview .x-post').length === 2")
    assert previewed_posts(page)[1] == "Someone drives you home. 2/2"
    assert page.locator(".x-preview .x-post .post-counter").nth(1).inner_text() == "28/280"

    with live_server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PostDraft)) == 0, "nothing is saved by previewing"
