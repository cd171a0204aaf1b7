"""Searching, filtering, sorting and paging the lists; duplicating and archiving; cancel asks first."""

from datetime import UTC, datetime, time

from service.extensions import db
from service.models import Article, AuditEntry, Campaign, PostDraft
from tests.factories import approve_and_schedule, draft_campaign, import_seed
from tests.web.test_calendar import days_from_now


def test_campaigns_filter_by_name_status_channel_author_and_sort_by_next_send(
    app, marketer_client, marketer, reviewer, seed_article_text
):
    article = import_seed(seed_article_text)
    snippet = [article.snippets[0].id]
    later = draft_campaign(app, marketer, snippet, days_from_now(9), name="Autumn later")
    approve_and_schedule(app, later, marketer, reviewer, datetime.now(UTC))
    sooner = draft_campaign(app, marketer, snippet, days_from_now(2), name="Autumn sooner")
    approve_and_schedule(app, sooner, marketer, reviewer, datetime.now(UTC))
    draft_campaign(app, reviewer, snippet, days_from_now(3), name="Winter email only", send_post=False)

    def names(**query) -> list[str]:
        page = marketer_client.get("/campaigns", query_string=query).get_data(as_text=True)
        return [name for name in ("Autumn later", "Autumn sooner", "Winter email only") if f">{name}<" in page]

    assert names(q="autumn") == ["Autumn later", "Autumn sooner"]
    assert names(status="draft") == ["Winter email only"]
    assert names(channel="x") == ["Autumn later", "Autumn sooner"]
    assert names(author=reviewer.id) == ["Winter email only"]
    page = marketer_client.get("/campaigns", query_string={"sort": "next_send"}).get_data(as_text=True)
    assert page.index("Autumn sooner") < page.index("Autumn later") < page.index("Winter email only")
    assert "No campaign matches." in marketer_client.get("/campaigns?q=nothing-like-it").get_data(as_text=True)


def test_campaigns_paginate(app, marketer_client, marketer, seed_article_text):
    article = import_seed(seed_article_text)
    for number in range(27):
        draft_campaign(app, marketer, [article.snippets[0].id], days_from_now(2), name=f"Campaign {number:02}")

    first = marketer_client.get("/campaigns").get_data(as_text=True)
    second = marketer_client.get("/campaigns?page=2").get_data(as_text=True)

    assert "Page 1 of 2 (27 campaigns)" in first and "page=2" in first
    assert first.count('href="/campaigns/') - first.count('href="/campaigns/new') == 25
    assert ">Campaign 00<" in second and ">Campaign 26<" not in second


def test_duplicate_makes_a_draft_and_archive_hides_from_the_list(app, marketer_client, marketer, seed_article_text):
    article = import_seed(seed_article_text)
    original = draft_campaign(app, marketer, [article.snippets[0].id], days_from_now(2), name="Original")

    copied = marketer_client.post(f"/campaigns/{original.id}/duplicate")

    copy = db.session.query(Campaign).filter_by(name="Copy of Original").one()
    assert copied.headers["Location"] == f"/campaigns/{copy.id}/edit"
    assert copy.status == "draft"
    assert [s.source_snippet_id for s in copy.sections] == [article.snippets[0].id]
    marketer_client.post(f"/campaigns/{original.id}/archive")
    assert ">Original<" not in marketer_client.get("/campaigns").get_data(as_text=True)
    assert ">Original<" in marketer_client.get("/campaigns?archived=1").get_data(as_text=True)
    assert db.session.query(AuditEntry).filter_by(action="archived", campaign_id=original.id).count() == 1


def test_a_duplicate_carries_the_composed_email_and_the_edited_posts(app, marketer_client, marketer, seed_article_text):
    article = import_seed(seed_article_text)
    original = draft_campaign(app, marketer, [s.id for s in article.snippets[:2]], days_from_now(2), name="Composed")
    issue = original.issues[0]
    issue.intro, issue.cta_label, issue.cta_url = "Hello from the clinic.", "Book a call", "https://example.org/book"
    first, second = issue.sections
    second.body = "Rewritten for this campaign only."
    db.session.add(PostDraft(campaign_id=original.id, section_id=second.id, parts=[{"text": "An edited post."}]))
    db.session.commit()

    marketer_client.post(f"/campaigns/{original.id}/duplicate")

    copy = db.session.query(Campaign).filter_by(name="Copy of Composed").one()
    [copied] = copy.issues
    assert (copied.intro, copied.cta_label, copied.cta_url) == (issue.intro, issue.cta_label, issue.cta_url)
    assert [s.body for s in copied.sections] == [first.body, "Rewritten for this campaign only."]
    assert [s.source_snippet_id for s in copied.sections] == [first.source_snippet_id, second.source_snippet_id]
    assert {s.id for s in copied.sections}.isdisjoint({first.id, second.id}), "the copy owns its sections"
    [draft] = db.session.query(PostDraft).filter_by(campaign_id=copy.id).all()
    assert (draft.section_id, draft.parts) == (copied.sections[1].id, [{"text": "An edited post."}])


def test_cancel_says_what_happens_and_needs_the_box_ticked(app, marketer_client, marketer, reviewer, seed_article_text):
    article = import_seed(seed_article_text)
    campaign = draft_campaign(app, marketer, [article.snippets[0].id], days_from_now(2, time(10)))
    approve_and_schedule(app, campaign, marketer, reviewer, datetime.now(UTC))

    page = marketer_client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "2 unsent messages will never go out" in page
    marketer_client.post(f"/campaigns/{campaign.id}/cancel")
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == "scheduled", "not without the confirmation"
    marketer_client.post(f"/campaigns/{campaign.id}/cancel", data={"confirm": "yes"})
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == "cancelled"


def test_articles_search_by_title_and_text_and_archive(app, marketer_client, seed_article_text):
    article = import_seed(seed_article_text)
    word = article.snippets[0].body.split()[3].strip(".,;:")

    assert article.title in marketer_client.get("/articles", query_string={"q": article.title[:6].upper()}).text
    assert article.title in marketer_client.get("/articles", query_string={"q": word}).text
    assert "No article matches." in marketer_client.get("/articles?q=zzzz-not-there").text
    marketer_client.post(f"/articles/{article.id}/archive")
    assert db.session.get(Article, article.id).archived_at is not None
    assert "No articles yet." not in marketer_client.get("/articles?archived=1").text
    assert article.title in marketer_client.get("/articles?archived=1").text
