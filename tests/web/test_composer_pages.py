"""The composer's pages: editing one email of a campaign (field errors keep what was typed), adding, moving and
removing sections without JavaScript, the live check, images, re-imports, the preview as sent and test sends."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.articles.store import import_article
from service.extensions import db
from service.media.library import store_upload
from service.models import Campaign, Snippet
from tests.factories import add_subscriber, approve_and_schedule, draft_campaign, import_seed, make_user
from tests.media.images import image_bytes
from tests.worker.email_settings import sendgrid_settings

ARTICLE = (
    "# Visit notes\n\n## Arrival\nCome ten minutes early.\n\n## Aftercare\nRest at home.\n\n## Parking\nIt is free."
)


@pytest.fixture
def app_config(app_config, fake_sendgrid, tmp_path):
    return {**app_config, **sendgrid_settings(fake_sendgrid), "MEDIA_DIR": str(tmp_path / "media")}


@pytest.fixture
def campaign(app, marketer) -> Campaign:
    article = import_article(db.session, ARTICLE, filename="visit.md").article
    db.session.commit()
    when = datetime.now(UTC) + timedelta(days=1)
    return draft_campaign(app, marketer, [s.id for s in article.snippets[:2]], when, email_subject="Visit news")


def form_of(campaign: Campaign, **overrides) -> dict:
    """What the composer page posts for the campaign's one email as it is now."""
    issue = campaign.issues[0]
    data = {
        "subject": issue.subject,
        "preheader": issue.preheader,
        "intro": issue.intro,
        "cta_label": "",
        "cta_url": "",
        "sign_off": "",
        "hero_media_id": "",
        "section_id": [str(s.id) for s in issue.sections],
        "section_snippet": ["" for _ in issue.sections],
        "section_heading": [s.heading for s in issue.sections],
        "section_body": [s.body for s in issue.sections],
        "section_media": ["" for _ in issue.sections],
    }
    data.update(overrides)
    return data


def test_an_unknown_placeholder_is_a_field_error_and_the_typed_text_stays(marketer_client, campaign):
    url = f"/campaigns/{campaign.id}/compose/0"
    response = marketer_client.post(url, data=form_of(campaign, subject="Hi {{ name }}", save="1"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="subject-error"[^>]*>Unknown placeholder \{\{ name \}\}', page)
    assert 'value="Hi {{ name }}"' in page, "what was typed is kept"
    db.session.expire_all()
    assert campaign.issues[0].subject == "Visit news", "nothing saved"


def test_sections_are_added_moved_and_removed_with_plain_buttons_and_saved_in_order(marketer_client, campaign, app):
    url = f"/campaigns/{campaign.id}/compose/0"
    parking = db.session.scalar(select(Snippet).where(Snippet.heading == "Parking"))
    page = marketer_client.post(url, data=form_of(campaign, add="snippet", add_snippet_id=str(parking.id)))
    assert page.status_code == 200 and page.get_data(as_text=True).count('name="section_heading"') == 3
    db.session.expire_all()
    assert len(campaign.issues[0].sections) == 2, "adding is not saving"

    first, second = campaign.issues[0].sections
    data = form_of(campaign)
    data.update(
        section_id=[str(second.id), str(first.id), ""],
        section_snippet=["", "", str(parking.id)],
        section_heading=["Aftercare", "Arrival, edited", "Parking"],
        section_body=["Rest at home.", "Come early.", "It is free."],
        section_media=["", "", ""],
        save="1",
    )
    assert marketer_client.post(url, data=data).status_code == 302
    db.session.expire_all()
    sections = campaign.issues[0].sections
    assert [s.heading for s in sections] == ["Aftercare", "Arrival, edited", "Parking"]
    assert sections[2].source_snippet_id == parking.id
    assert db.session.get(Snippet, first.source_snippet_id).body == "Come ten minutes early.", "the article is kept"

    moved = marketer_client.post(url, data=form_of(campaign, move="up:2")).get_data(as_text=True)
    assert moved.index('value="Parking"') < moved.index('value="Arrival, edited"')
    removed = marketer_client.post(url, data=form_of(campaign, move="remove:0")).get_data(as_text=True)
    assert 'value="Aftercare"' not in removed


def test_saving_an_approved_campaign_returns_it_to_review_and_the_review_shows_the_diff(
    app, marketer_client, campaign, marketer
):
    reviewer = make_user("reviewer@example.org", "reviewer")
    approve_and_schedule(app, campaign, marketer, reviewer, datetime.now(UTC))
    bodies = ["Come ten minutes early, with a friend.", "Rest at home."]
    response = marketer_client.post(
        f"/campaigns/{campaign.id}/compose/0", data=form_of(campaign, section_body=bodies, save="1")
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert campaign.status == "draft" and campaign.messages == []
    review = marketer_client.get(f"/campaigns/{campaign.id}/review").get_data(as_text=True)
    assert "What changed since the last approval" in review
    assert "<ins>" in review and "friend." in review


def test_the_live_check_marks_findings_field_by_field_and_previews_safe_markdown(marketer_client, campaign):
    response = marketer_client.post(
        f"/campaigns/{campaign.id}/compose/live",
        json={
            "fields": {
                "subject": "Still struggling with anxiety?",
                "sections.0.body": "Many notice relief within hours.",
            },
            "markdown": {"sections.0.body": "**ok** <script>alert(1)</script> [x](javascript:alert(1))"},
        },
    )
    data = response.get_json()
    assert response.status_code == 200
    assert data["fields"]["subject"]["findings"][0]["rule"] == "second-person-diagnosis"
    assert '<mark class="finding block"' in data["fields"]["sections.0.body"]["html"]
    preview = data["markdown"]["sections.0.body"]
    assert "<strong>ok</strong>" in preview and "<script" not in preview and "href" not in preview
    assert marketer_client.post(f"/campaigns/{campaign.id}/compose/live", json=["x"]).status_code == 400


def test_an_image_with_its_alt_text_goes_into_the_email(app, marketer_client, campaign, marketer):
    media = store_upload(
        db.session, image_bytes("PNG"), "room.png", "A quiet treatment room", media_dir=app.config["MEDIA_DIR"]
    )
    db.session.commit()
    url = f"/campaigns/{campaign.id}/compose/0"
    data = form_of(campaign, hero_media_id=str(media.id), section_media=[str(media.id), ""], save="1")
    assert marketer_client.post(url, data=data).status_code == 302
    html = marketer_client.get(f"/campaigns/{campaign.id}/preview/0/email.html").get_data(as_text=True)
    assert html.count('alt="A quiet treatment room"') == 2
    assert f"https://tidings.test/media/{media.file_1x}" in html


def test_the_preview_is_exactly_as_sent_to_the_chosen_subscriber_with_no_placeholder(app, marketer_client, campaign):
    ann = add_subscriber(app, "ann@example.org", first_name="Ann")
    issue = campaign.issues[0]
    issue.subject = "{{ first_name }}, about {{ heading }}"
    db.session.commit()
    page = marketer_client.get(f"/campaigns/{campaign.id}/preview/0?subscriber={ann.id}").get_data(as_text=True)
    assert "Ann, about Arrival" in page
    assert "ann@example.org" not in page, "the sample is shown by first name, never by address"
    html = marketer_client.get(f"/campaigns/{campaign.id}/preview/0/email.html?subscriber={ann.id}").get_data(
        as_text=True
    )
    assert "Hi Ann," in html
    for text in (page, html):
        assert not re.search(r"-(greeting_html|greeting_text|unsubscribe_url|first_name)-", text)
        assert "{{" not in text.replace("{{ first_name }}", "").replace("{{ heading }}", "")
    assert "/unsubscribe/" in html and "?preview=1" in html
    assert 'class="email-preview desktop"' in page and 'class="email-preview phone"' in page
    assert 'class="email-text-part"' in page and "Hi Ann," in page


def test_a_test_send_goes_to_chosen_team_accounts_only_and_at_most_five(app, marketer_client, campaign, fake_sendgrid):
    team = [make_user(f"team{n}@example.org", "marketer") for n in range(6)]
    add_subscriber(app, "subscriber@example.org")
    url = f"/campaigns/{campaign.id}/test-send"
    chosen = [str(member.id) for member in team[:2]]
    page = marketer_client.post(url, data={"position": "0", "to": chosen}, follow_redirects=True)
    assert "A test email is on its way to team0@example.org, team1@example.org" in page.get_data(as_text=True)
    assert sorted(fake_sendgrid.recipients()) == ["team0@example.org", "team1@example.org"]
    assert fake_sendgrid.requests[0].body["subject"] == "[Test] Visit news"
    assert fake_sendgrid.violations == []

    too_many = marketer_client.post(url, data={"position": "0", "to": [str(m.id) for m in team]}, follow_redirects=True)
    assert "at most 5" in too_many.get_data(as_text=True)
    assert len(fake_sendgrid.requests) == 1, "nothing sent"
    unknown = marketer_client.post(url, data={"position": "0", "to": ["999"]}, follow_redirects=True)
    assert "accounts of the team only" in unknown.get_data(as_text=True)


def test_a_reimported_article_is_offered_as_a_diff_and_taken_on_request(app, marketer_client, campaign):
    changed = ARTICLE.replace("Come ten minutes early.", "Come fifteen minutes early.")
    import_article(db.session, changed, filename="visit.md")
    db.session.commit()
    url = f"/campaigns/{campaign.id}/compose/0"
    page = marketer_client.get(url).get_data(as_text=True)
    assert page.count("The article was re-imported") == 1, "only the section whose text changed"
    assert "<del>ten </del>" in page and "<ins>fifteen </ins>" in page
    section = campaign.issues[0].sections[0]
    assert section.body == "Come ten minutes early.", "nothing changes by itself"

    marketer_client.post(f"/campaigns/{campaign.id}/sections/{section.id}/take-new-text")
    db.session.expire_all()
    assert campaign.issues[0].sections[0].body == "Come fifteen minutes early."
    assert "The article was re-imported" not in marketer_client.get(url).get_data(as_text=True)


def test_the_article_page_shows_which_campaigns_use_each_snippet(marketer_client, campaign):
    article_id = db.session.get(Snippet, campaign.sections[0].source_snippet_id).article_id
    page = marketer_client.get(f"/articles/{article_id}").get_data(as_text=True)
    assert page.count("Used by") == 2 and page.count("Not used by any campaign yet") == 1
    assert "Test campaign" in page


def test_a_drip_campaign_gets_a_new_step(marketer_client, app, marketer, seed_article_text):
    article = import_seed(seed_article_text)
    when = datetime.now(UTC) + timedelta(days=1)
    drip = draft_campaign(app, marketer, [article.snippets[0].id], when, schedule_kind="drip", every_days=7)
    response = marketer_client.post(f"/campaigns/{drip.id}/compose/steps")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/campaigns/{drip.id}/compose/1")
    db.session.expire_all()
    assert len(drip.issues) == 2
