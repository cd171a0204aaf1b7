"""Four eyes: nobody approves content they wrote or edited since the campaign's last approval, and an approval
covers exactly what the reviewer saw (the approve form carries the hash of the review they opened)."""

import re
import time

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import CampaignEdit
from tests.compliance.review_texts import CLEAN_SENTENCE, campaign_with_text
from tests.factories import make_user
from tests.security.signing_in import log_in

SAFE_EDIT = "Our team answers questions about the program by phone on weekdays."


@pytest.fixture
def people(app):
    app.config["WTF_CSRF_ENABLED"] = False
    return {
        "marketer": make_user("marketer@example.org", "marketer"),
        "rey": make_user("rey@example.org", "reviewer"),
        "ria": make_user("ria@example.org", "reviewer"),
    }


def client_for(app, user):
    client = app.test_client()
    log_in(client, user)
    return client


def status(campaign) -> str:
    db.session.refresh(campaign)
    return campaign.status


def seen_hash(client, campaign) -> str:
    page = client.get(f"/campaigns/{campaign.id}/review").get_data(as_text=True)
    return re.search(r'name="content_hash" value="([0-9a-f]{64})"', page).group(1)


def approve(client, campaign, content_hash):
    return client.post(
        f"/campaigns/{campaign.id}/review/approve", data={"content_hash": content_hash}, follow_redirects=True
    )


def edit_snippet(client, campaign, body=SAFE_EDIT):
    return client.post(f"/campaigns/{campaign.id}/snippets/0/edit", data={"heading": "Hello", "body": body})


def submit(client, campaign):
    client.post(f"/campaigns/{campaign.id}/review/submit")


def test_a_reviewer_who_edited_the_snippet_cannot_approve_it(app, people):
    campaign = campaign_with_text(app, people["marketer"], [("Hello", CLEAN_SENTENCE)])
    rey = client_for(app, people["rey"])
    assert edit_snippet(rey, campaign).status_code == 302
    submit(rey, campaign)
    assert status(campaign) == "in_review"
    ria = client_for(app, people["ria"])
    current = seen_hash(ria, campaign)
    review_page = rey.get(f"/campaigns/{campaign.id}/review").get_data(as_text=True)
    assert "another reviewer must approve it" in review_page and "content_hash" not in review_page
    page = approve(rey, campaign, current).get_data(as_text=True)
    assert "You edited this campaign since its last approval" in page
    assert status(campaign) == "in_review"

    approve(ria, campaign, current)
    assert status(campaign) == "approved"


def test_every_edit_path_records_who_edited(app, people):
    campaign = campaign_with_text(app, people["marketer"], [("Hello", CLEAN_SENTENCE)])
    edit_snippet(client_for(app, people["rey"]), campaign)
    editors = db.session.scalars(select(CampaignEdit.user_id).where(CampaignEdit.campaign_id == campaign.id)).all()
    assert editors == [people["marketer"].id, people["rey"].id]


def test_edits_before_the_last_approval_do_not_bar_a_reviewer(app, people):
    campaign = campaign_with_text(app, people["marketer"], [("Hello", CLEAN_SENTENCE)])
    rey, ria = client_for(app, people["rey"]), client_for(app, people["ria"])
    edit_snippet(rey, campaign)
    submit(rey, campaign)
    approve(ria, campaign, seen_hash(ria, campaign))
    assert status(campaign) == "approved"

    marketer = client_for(app, people["marketer"])
    edit_snippet(marketer, campaign, SAFE_EDIT + " Call us any time.")
    submit(marketer, campaign)
    approve(rey, campaign, seen_hash(rey, campaign))
    assert status(campaign) == "approved", "Rey's earlier edit was approved by Ria; the new words are not his"


def test_approval_of_a_review_opened_before_a_change_is_refused(app, people):
    campaign = campaign_with_text(app, people["marketer"], [("Hello", CLEAN_SENTENCE)])
    marketer, rey = client_for(app, people["marketer"]), client_for(app, people["rey"])
    submit(marketer, campaign)
    opened = seen_hash(rey, campaign)

    edit_snippet(marketer, campaign, SAFE_EDIT)
    submit(marketer, campaign)
    page = approve(rey, campaign, opened).get_data(as_text=True)
    assert "changed since you opened it: review again" in page
    assert status(campaign) == "in_review"

    approve(rey, campaign, seen_hash(rey, campaign))
    assert status(campaign) == "approved"


def test_an_approval_without_the_hash_of_what_was_seen_is_refused(app, people):
    campaign = campaign_with_text(app, people["marketer"], [("Hello", CLEAN_SENTENCE)])
    submit(client_for(app, people["marketer"]), campaign)
    rey = client_for(app, people["rey"])
    assert "review again" in approve(rey, campaign, "").get_data(as_text=True)
    rey.post(f"/campaigns/{campaign.id}/approve")
    assert status(campaign) == "in_review"


def test_the_hash_stays_the_same_while_nothing_changes(app, people):
    campaign = campaign_with_text(app, people["marketer"], [("Hello", CLEAN_SENTENCE)])
    submit(client_for(app, people["marketer"]), campaign)
    rey = client_for(app, people["rey"])
    first = seen_hash(rey, campaign)
    time.sleep(1.1)  # the representative unsubscribe link's token is made again, a second later
    assert seen_hash(rey, campaign) == first
