"""The post editor and the X-like preview: edit a campaign's post (and its thread), add images, see it as X would."""

from datetime import UTC, datetime, timedelta

import pytest

from service.extensions import db
from service.media.library import store_upload
from service.models import Campaign, PostDraft
from service.outgoing.posts import thread_parts_for
from service.rendering.clinic import ClinicInfo
from tests.factories import draft_campaign, import_seed
from tests.media.images import image_bytes

SIDE_EFFECTS = 2  # "What Should I Bring?" in the seed article: a heading that is a question


@pytest.fixture
def campaign(app, marketer, seed_article_text) -> Campaign:
    article = import_seed(seed_article_text)
    snippet = article.snippets[SIDE_EFFECTS]
    assert snippet.heading == "What Should I Bring?"
    send_at = datetime.now(UTC) + timedelta(days=2)
    return draft_campaign(app, marketer, [snippet.id], send_at, name="Side effects", hashtags="#KAP")


def _url(campaign: Campaign) -> str:
    return f"/campaigns/{campaign.id}/posts/0"


def _parts(app, campaign: Campaign) -> list[str]:
    db.session.expire_all()
    fresh = db.session.get(Campaign, campaign.id)
    return thread_parts_for(fresh, fresh.sections[0], ClinicInfo.from_config(app.config))


def test_the_editor_starts_from_the_templates_draft(app, marketer_client, campaign):
    page = marketer_client.get(_url(campaign)).get_data(as_text=True)

    drafted = _parts(app, campaign)
    assert drafted[0].startswith("What Should I Bring? Please")
    assert f">{drafted[0]}</textarea>" in page.replace("&#39;", "'")
    assert "Add a post" in page and 'data-mode="part"' in page


def test_an_edited_thread_is_what_the_campaign_posts_and_sends_it_back_to_draft(app, marketer_client, campaign):
    campaign.status = "approved"
    db.session.commit()

    response = marketer_client.post(
        _url(campaign),
        data={"part-0-text": "Side effects are usually mild. 1/2", "part-1-text": "  ", "part-2-text": "Ask us. 2/2"},
    )

    assert response.status_code == 302
    assert _parts(app, campaign) == ["Side effects are usually mild. 1/2", "Ask us. 2/2"]
    assert db.session.get(Campaign, campaign.id).status == "draft", "what was reviewed is no longer what is sent"
    preview = marketer_client.get(f"/campaigns/{campaign.id}/preview/0").get_data(as_text=True)
    assert preview.index("Side effects are usually mild. 1/2") < preview.index("Ask us. 2/2"), "in order from the top"


def test_a_posts_line_breaks_are_kept_and_its_stray_spaces_and_blank_lines_tidied(app, marketer_client, campaign):
    typed = "What helps after a session:\r\n\r\n\r\n- rest   well\r\n- drink water  \r\n\r\nAsk us. "

    response = marketer_client.post(_url(campaign), data={"part-0-text": typed})

    assert response.status_code == 302
    assert _parts(app, campaign) == ["What helps after a session:\n\n- rest well\n- drink water\n\nAsk us."]
    page = marketer_client.get(_url(campaign)).get_data(as_text=True)
    assert ">What helps after a session:\n\n- rest well\n- drink water\n\nAsk us.</textarea>" in page


def test_a_post_too_long_for_x_is_refused_beside_it_and_what_was_typed_is_kept(app, marketer_client, campaign):
    too_long = "Ketamine " * 40

    response = marketer_client.post(_url(campaign), data={"part-0-text": too_long})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="part-0-error"' in page and "the limit is 280" in page
    assert too_long.strip() in page
    assert db.session.query(PostDraft).count() == 0


def test_images_with_alt_text_are_attached_and_shown_in_the_preview(app, marketer_client, campaign):
    media = store_upload(
        db.session, image_bytes("PNG"), "chart.png", "A chart of visits", media_dir=app.config["MEDIA_DIR"]
    )
    db.session.commit()

    marketer_client.post(_url(campaign), data={"part-0-text": "Visits this year.", "part-0-media": [str(media.id)]})

    [draft] = db.session.query(PostDraft).all()
    assert draft.parts == [{"text": "Visits this year.", "media_ids": [media.id]}]
    preview = marketer_client.get(f"/campaigns/{campaign.id}/preview/0").get_data(as_text=True)
    assert f'src="https://tidings.test/media/{media.file_1x}"' in preview and 'alt="A chart of visits"' in preview


def test_more_than_four_images_on_a_post_are_refused(app, marketer_client, campaign):
    ids = []
    for shade in range(5):
        data = image_bytes("PNG", size=(40 + shade, 40))
        ids.append(str(store_upload(db.session, data, "x.png", "A square", media_dir=app.config["MEDIA_DIR"]).id))
    db.session.commit()

    response = marketer_client.post(_url(campaign), data={"part-0-text": "Five squares.", "part-0-media": ids})

    assert response.status_code == 400 and "at most 4 images" in response.get_data(as_text=True)


def test_going_back_to_the_template_drops_the_edit(app, marketer_client, campaign):
    drafted = _parts(app, campaign)
    marketer_client.post(_url(campaign), data={"part-0-text": "Our own words."})

    marketer_client.post(_url(campaign), data={"action": "reset"})

    assert _parts(app, campaign) == drafted
    assert db.session.query(PostDraft).count() == 0


def test_the_preview_looks_like_a_post_on_x(app, marketer_client, campaign):
    app.config.update(X_DISPLAY_NAME="Daytryp Health", X_HANDLE="daytryphealth", X_AVATAR_URL="https://cdn.test/a.png")

    page = marketer_client.get(f"/campaigns/{campaign.id}/preview/0").get_data(as_text=True)

    assert "<strong>Daytryp Health</strong>" in page and "@daytryphealth" in page
    assert 'src="https://cdn.test/a.png"' in page
    assert ">daytryphealth.com/?utm…</a>" in page, "links shown as X shortens them"
    assert 'class="x-card-title">A visit to the clinic' in page, "the card is the article's, built here"
    assert '<span class="x-hashtag">#KAP</span>' in page


def test_an_email_only_campaign_has_no_x_section_and_no_post_editor(app, marketer_client, campaign):
    campaign.send_post = False
    db.session.commit()

    page = marketer_client.get(f"/campaigns/{campaign.id}/preview/0").get_data(as_text=True)

    assert "Post on X" not in page and "x-thread" not in page
    assert marketer_client.get(_url(campaign)).status_code == 404


def _x_thread(page: str) -> str:
    """The X thread in a page or fragment: from its <ol class="x-thread"> to the list's end."""
    start = page.index('<ol class="x-thread"')
    return page[start : page.index("</ol>", start) + len("</ol>")]


def test_the_live_preview_shows_the_thread_as_typed_and_saves_nothing(app, marketer_client, campaign):
    media = store_upload(db.session, image_bytes("PNG"), "room.png", "A quiet room", media_dir=app.config["MEDIA_DIR"])
    campaign.status = "approved"
    db.session.commit()
    typed = {
        "part-0-text": "Side  effects\n are <b>mild</b>. 1/2",
        "part-1-text": "  ",
        "part-2-text": "Ask us. 2/2",
        "part-2-media": [str(media.id)],
    }

    response = marketer_client.post(f"{_url(campaign)}/preview", data=typed)

    assert response.status_code == 200 and response.mimetype == "text/html"
    fragment = response.get_data(as_text=True)
    assert "<main" not in fragment, "a fragment for the page to put in place, not a page"
    assert "Side effects\nare &lt;b&gt;mild&lt;/b&gt;. 1/2" in fragment, "escaped, and spaced as saving keeps it"
    assert fragment.index("1/2") < fragment.index("Ask us. 2/2") and fragment.count('class="x-post') == 2
    assert f'src="https://tidings.test/media/{media.file_1x}"' in fragment and 'alt="A quiet room"' in fragment
    assert db.session.query(PostDraft).count() == 0
    assert db.session.get(Campaign, campaign.id).status == "approved", "a preview is no edit"


def test_the_live_preview_is_the_thread_the_campaign_sends_once_saved(app, marketer_client, campaign):
    typed = {"part-0-text": "Rest after your session: https://daytryphealth.com/rest #KAP 1/2", "part-1-text": "2/2"}

    live = marketer_client.post(f"{_url(campaign)}/preview", data=typed).get_data(as_text=True)
    marketer_client.post(_url(campaign), data=typed)
    sent = marketer_client.get(f"/campaigns/{campaign.id}/preview/0").get_data(as_text=True)

    assert _parts(app, campaign) == [typed["part-0-text"], "2/2"]
    assert _x_thread(live) == _x_thread(sent)


def test_the_live_preview_of_empty_boxes_says_there_is_nothing_to_post(app, marketer_client, campaign):
    response = marketer_client.post(f"{_url(campaign)}/preview", data={"part-0-text": " "})

    assert response.status_code == 200 and "Nothing to post yet" in response.get_data(as_text=True)
