"""The live post preview behind the editors' counters (POST /posts/preview), and the post template on the form."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from service.models import Campaign
from service.rendering.headings import lead_in
from service.rendering.post_length import MAX_POST_LENGTH, weighted_length
from service.timezones import utc_to_local
from tests.factories import draft_campaign, import_seed

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SITE = "https://www.daytryphealth.com"


def preview(client, payload, **headers):
    return client.post("/posts/preview", json=payload, headers=headers)


def test_a_text_comes_back_as_posts_with_xs_weighted_length(marketer_client):
    text = "Open house on Friday 🌿 https://www.daytryphealth.com/events/open-house-with-a-long-address 界"

    response = preview(marketer_client, {"text": text})

    assert response.status_code == 200
    assert response.json == {
        "posts": [{"text": text, "weighted_length": weighted_length(text)}],
        "weighted_length": weighted_length(text),
        "max_length": MAX_POST_LENGTH,
    }
    assert response.json["posts"][0]["weighted_length"] == len("Open house on Friday ") + 2 + 1 + 23 + 1 + 2


def test_a_long_text_comes_back_as_a_thread(marketer_client):
    sentence = "Integration sessions help turn insight into lasting change in daily life. "

    posts = preview(marketer_client, {"text": sentence * 10}).json["posts"]

    assert len(posts) > 1
    assert all(post["weighted_length"] <= MAX_POST_LENGTH for post in posts)
    assert posts[-1]["text"].endswith(f"{len(posts)}/{len(posts)}")


def test_chosen_snippets_preview_as_the_campaign_would_post_them(marketer_client, seed_article_text):
    snippets = import_seed(seed_article_text).snippets[:2]

    response = preview(
        marketer_client,
        {
            "snippet_ids": [s.id for s in snippets],
            "template": "short.txt",
            "hashtags": "#KAP",
            "link_url": "",
            "name": "Spring Open House",
        },
    )

    assert response.status_code == 200
    previews = response.json["snippets"]
    assert [p["snippet_id"] for p in previews] == [s.id for s in snippets]
    for snippet, shown in zip(snippets, previews, strict=True):
        assert shown["heading"] == snippet.heading
        [post] = shown["posts"]
        assert post["text"].startswith(lead_in(snippet.heading) + " ")
        assert "?:" not in post["text"]
        assert f"{SITE}/?utm_source=x&utm_medium=social&utm_campaign=spring-open-house #KAP" in post["text"]
        assert post["weighted_length"] == weighted_length(post["text"]) <= MAX_POST_LENGTH


def test_a_saved_campaign_fills_in_what_the_page_does_not_send(app, marketer, marketer_client, seed_article_text):
    article = import_seed(seed_article_text)
    send_at = datetime.now(UTC) + timedelta(days=1)
    campaign = draft_campaign(
        app, marketer, [article.snippets[0].id], send_at, post_template="short.txt", hashtags="#Aftercare"
    )

    response = preview(marketer_client, {"campaign_id": campaign.id, "heading": "Aftercare", "body": "Rest first."})

    [shown] = response.json["snippets"]
    assert shown["snippet_id"] is None
    assert shown["posts"][0]["text"] == (
        f"Aftercare: Rest first. {SITE}/?utm_source=x&utm_medium=social&utm_campaign={campaign.slug} #Aftercare"
    )


def test_bad_requests_are_refused_with_a_reason(marketer_client):
    assert preview(marketer_client, {"snippet_ids": [], "template": "../email/newsletter.txt"}).status_code == 400
    assert "no post template" in preview(marketer_client, {"body": "x", "template": "nope.txt"}).json["error"]
    assert preview(marketer_client, {"snippet_ids": "1,2"}).status_code == 400
    assert preview(marketer_client, {"text": 42}).status_code == 400
    assert preview(marketer_client, {"text": "x" * 20_001}).status_code == 400
    response = marketer_client.post("/posts/preview", data="not json", content_type="application/json")
    assert response.status_code == 400


def test_the_preview_needs_a_login(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    response = preview(client, {"text": "Hello."})

    assert response.status_code in (302, 401)


def test_the_preview_needs_the_csrf_token_in_a_header(app, marketer_client):
    app.config["WTF_CSRF_ENABLED"] = True
    page = marketer_client.get("/campaigns/new").get_data(as_text=True)
    token = CSRF_INPUT.search(page).group(1)

    assert preview(marketer_client, {"text": "Hello."}).status_code == 400
    assert preview(marketer_client, {"text": "Hello."}, **{"X-CSRFToken": token}).status_code == 200


def test_the_campaign_form_offers_the_post_templates_and_the_live_preview(marketer_client):
    page = marketer_client.get("/campaigns/new").get_data(as_text=True)

    assert 'name="post_template"' in page
    for name in ("post.txt", "short.txt", "question.txt"):
        assert f'value="{name}"' in page
    assert "data-post-preview" in page and 'data-url="/posts/preview"' in page
    assert "post-counter.js" in page
    with marketer_client.get("/static/post-counter.js") as script:
        assert script.status_code == 200


def test_the_chosen_post_template_is_saved_and_an_unknown_one_refused(app, db, marketer_client, seed_article_text):
    article = import_seed(seed_article_text)
    tomorrow = utc_to_local(datetime.now(UTC) + timedelta(days=1), app.config["CLINIC_TIMEZONE"])
    data = {
        "name": "Question post",
        "snippet_ids": [str(article.snippets[0].id)],
        "send_post": "y",
        "schedule_kind": "once",
        "start_date": tomorrow.strftime("%Y-%m-%d"),
        "send_time": tomorrow.strftime("%H:%M"),
        "every_days": "7",
        "weekday": "1",
    }

    refused = marketer_client.post("/campaigns/new", data={**data, "post_template": "../email/newsletter.txt"})
    saved = marketer_client.post("/campaigns/new", data={**data, "post_template": "question.txt"})

    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)
    assert saved.status_code == 302
    campaign = db.session.scalar(select(Campaign))
    assert campaign.post_template == "question.txt"
    edit_page = marketer_client.get(f"/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert re.search(r'<option selected value="question.txt">|<option value="question.txt" selected', edit_page)
    preview_page = marketer_client.get(f"/campaigns/{campaign.id}/preview/0").get_data(as_text=True)
    # The seed's first heading is a statement, which the question template leaves one (no "?" made up).
    assert "Read more:" in preview_page
