"""Home: each role sees its own to-dos, the week ahead, the last sends, the list's health and the worker."""

from datetime import UTC, datetime, timedelta

from service.campaigns import lifecycle
from service.extensions import db
from tests.factories import TEST_PASSWORD, draft_campaign, import_seed, make_user


def words(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def test_the_app_opens_on_home_after_login(app, client, marketer):
    assert "/login" in client.get("/").headers["Location"]
    app.config["WTF_CSRF_ENABLED"] = False
    response = client.post("/login", data={"email": marketer.email, "password": TEST_PASSWORD})
    assert response.headers["Location"] == "/"
    assert "<h1>Home</h1>" in client.get("/").get_data(as_text=True)


def test_an_author_sees_a_campaign_sent_back_with_the_comment_and_a_stale_draft(
    app, client, auth, marketer, reviewer, seed_article_text
):
    article = import_seed(seed_article_text)
    now = datetime.now(UTC)
    sent_back = draft_campaign(app, marketer, [article.snippets[0].id], now + timedelta(days=2), name="Spring news")
    lifecycle.submit_for_review(db.session, sent_back, marketer)
    lifecycle.send_back(db.session, sent_back, reviewer, "Cite the study for the second claim.")
    stale = draft_campaign(app, marketer, [article.snippets[0].id], now + timedelta(days=3), name="Old idea")
    stale.updated_at = now - timedelta(days=15)
    db.session.commit()
    auth.login(marketer)

    page = words(client.get("/"))

    assert "Sent back to you" in page and "Spring news" in page
    assert "Cite the study for the second claim." in page
    assert "Drafts untouched for 14 days" in page and "Old idea" in page
    assert "Waiting for your review" not in page


def test_a_reviewer_sees_what_waits_for_their_review_but_not_their_own(
    app, client, auth, marketer, reviewer, seed_article_text
):
    article = import_seed(seed_article_text)
    now = datetime.now(UTC)
    theirs = draft_campaign(app, marketer, [article.snippets[0].id], now + timedelta(days=2), name="For review")
    lifecycle.submit_for_review(db.session, theirs, marketer)
    db.session.commit()
    auth.login(reviewer)

    page = words(client.get("/"))

    assert "Waiting for your review" in page and "For review" in page
    assert "Sent back to you" not in page


def test_home_lists_the_next_seven_days_in_clinic_time_and_the_worker(
    app, client, auth, marketer, reviewer, seed_article_text
):
    article = import_seed(seed_article_text)
    now = datetime.now(UTC)
    soon = draft_campaign(app, marketer, [article.snippets[0].id], now + timedelta(days=2), name="Soon")
    later = draft_campaign(app, marketer, [article.snippets[0].id], now + timedelta(days=9), name="Much later")
    for campaign in (soon, later):
        lifecycle.submit_for_review(db.session, campaign, marketer)
        lifecycle.approve(db.session, campaign, reviewer, allow_self_approval=False)
        lifecycle.schedule(db.session, campaign, reviewer, tz_name=app.config["CLINIC_TIMEZONE"], now=now)
    db.session.commit()
    auth.login(make_user("admin@example.org", "admin"))

    page = words(client.get("/"))

    assert f"When ({app.config['CLINIC_TIMEZONE']})" in page
    assert "Soon" in page and "Much later" not in page
    assert "Never seen: start it with" in page
    assert "Confirmed subscribers" in page
