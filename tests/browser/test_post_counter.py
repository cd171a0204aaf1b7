"""The campaign form's live post preview: the server's weighted count, updated a moment after typing stops."""

import pytest

from service.articles.store import import_article
from service.extensions import db
from service.rendering.post_length import weighted_length
from tests.browser.logins import log_in_as

pytestmark = pytest.mark.browser

ARTICLE = """# After your session

## Resting afterwards
You rest in a quiet room until you feel steady. A clinician checks on you <b>often</b>.
"""


def counters(page) -> list[str]:
    return page.locator("[data-post-preview] .post-counter").all_inner_texts()


def test_the_campaign_form_previews_the_post_and_counts_while_typing(live_server, live_users, page):
    with live_server.app.app_context():
        import_article(db.session, ARTICLE, filename="after.md")
        db.session.commit()
    log_in_as(page, live_server.url, live_users["marketer"])
    page.goto(f"{live_server.url}/campaigns/new")

    page.fill("input[name=name]", "Rest")
    page.locator("li", has_text="Resting afterwards").locator("input").check()
    page.check("input[name=send_post]")
    page.wait_for_selector("[data-post-preview] .post-counter")
    first_text = page.locator("[data-post-preview] pre.post").first.inner_text()
    assert "<b>often</b>" in first_text, "snippet text is shown as text, never as HTML"
    assert counters(page) == [f"{weighted_length(first_text)}/280"]

    page.fill("input[name=hashtags]", "#KAP #Aftercare 界")
    page.wait_for_function(
        "() => document.querySelector('[data-post-preview] pre.post').textContent.includes('#Aftercare')"
    )
    text = page.locator("[data-post-preview] pre.post").first.inner_text()
    assert counters(page) == [f"{weighted_length(text)}/280"]
    assert weighted_length(text) == weighted_length(first_text) + len(" #KAP #Aftercare ") + 2

    page.select_option("select[name=post_template]", "question.txt")
    page.wait_for_function(
        # A statement is not made a question (i12-media's template rule): the template shows in its "Read more".
        "() => document.querySelector('[data-post-preview] pre.post').textContent.includes('Read more: https://')"
    )
    assert "Read more: https://" in page.locator("[data-post-preview] pre.post").first.inner_text()

    page.uncheck("input[name=send_post]")
    page.wait_for_selector("[data-post-preview]", state="hidden")
