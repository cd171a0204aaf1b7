"""The review loop: the reviewers' queue, and the staff emails about it (which each person can turn off)."""

import re

from service.extensions import db
from service.models import AuditEntry
from tests.compliance.review_texts import CLEAN_SENTENCE, campaign_with_text
from tests.factories import make_user


def _seen_hash(client, campaign) -> str:
    page = client.get(f"/campaigns/{campaign.id}/review").get_data(as_text=True)
    return re.search(r'name="content_hash" value="([0-9a-f]+)"', page).group(1)


def test_the_queue_lists_campaigns_in_review_oldest_first_with_author_and_findings(
    app, marketer, reviewer, client, auth
):
    first = campaign_with_text(app, marketer, [("Hello", CLEAN_SENTENCE)], name="First in")
    second = campaign_with_text(app, marketer, [("Other", CLEAN_SENTENCE)], name="Second in")
    campaign_with_text(app, marketer, [("Draft", CLEAN_SENTENCE)], name="Still a draft")
    auth.login(marketer)
    client.post(f"/campaigns/{first.id}/review/submit")
    client.post(f"/campaigns/{second.id}/review/submit")
    auth.logout()
    auth.login(reviewer)
    page = client.get("/review").get_data(as_text=True)
    assert re.findall(r'<tr data-campaign="(\d+)"', page) == [str(first.id), str(second.id)]
    assert "Still a draft" not in page and marketer.name in page
    assert 'href="/review"' in page, "in the reviewer's navigation"


def test_reviewers_are_told_of_a_submission_and_the_author_of_the_send_back_with_its_comment(
    app, marketer, reviewer, client, auth, outbox
):
    campaign = campaign_with_text(app, marketer, [("Hello", CLEAN_SENTENCE)], name="Spring")
    auth.login(marketer)
    client.post(f"/campaigns/{campaign.id}/review/submit")
    [to_reviewer] = outbox.emails_to(reviewer.email)
    assert to_reviewer.subject == "Waiting for your review: Spring"
    assert f"/campaigns/{campaign.id}" in to_reviewer.text
    assert outbox.emails_to(marketer.email) == [], "nobody is told of their own step"
    auth.logout()
    auth.login(reviewer)
    client.post(f"/campaigns/{campaign.id}/review/send-back", data={"comment": "Say <which> Saturday."})
    [to_author] = outbox.emails_to(marketer.email)
    assert to_author.subject == "Sent back to you: Spring"
    assert "Say <which> Saturday." in to_author.text and "Say &lt;which&gt; Saturday." in to_author.html


def test_the_author_is_told_of_the_approval(app, marketer, reviewer, client, auth, outbox):
    campaign = campaign_with_text(app, marketer, [("Hello", CLEAN_SENTENCE)], name="Spring")
    auth.login(marketer)
    client.post(f"/campaigns/{campaign.id}/review/submit")
    auth.logout()
    auth.login(reviewer)
    client.post(f"/campaigns/{campaign.id}/review/approve", data={"content_hash": _seen_hash(client, campaign)})
    assert [email.subject for email in outbox.emails_to(marketer.email)] == ["Approved: Spring"]


def test_a_person_who_turned_review_emails_off_gets_none(app, marketer, reviewer, client, auth, outbox):
    other = make_user("admin@example.org", "admin")
    auth.login(reviewer)
    client.post("/account/review-emails", data={})
    assert "Review emails are off." in client.get("/account").get_data(as_text=True)
    auth.logout()
    campaign = campaign_with_text(app, marketer, [("Hello", CLEAN_SENTENCE)])
    auth.login(marketer)
    client.post(f"/campaigns/{campaign.id}/review/submit")
    assert outbox.emails_to(reviewer.email) == []
    assert len(outbox.emails_to(other.email)) == 1
    db.session.refresh(reviewer)
    assert reviewer.review_emails is False
    assert db.session.query(AuditEntry).filter_by(action="account:review-emails-off").count() == 1
    auth.logout()
    auth.login(reviewer)
    client.post("/account/review-emails", data={"review_emails": "on"})
    db.session.refresh(reviewer)
    assert reviewer.review_emails is True


def test_the_send_back_comment_shows_on_the_campaign_and_review_pages_until_resubmission(
    app, marketer, reviewer, client, auth
):
    campaign = campaign_with_text(app, marketer, [("Hello", CLEAN_SENTENCE)])
    auth.login(marketer)
    client.post(f"/campaigns/{campaign.id}/review/submit")
    auth.logout()
    auth.login(reviewer)
    client.post(f"/campaigns/{campaign.id}/review/send-back", data={"comment": "Name the <b>Saturday</b>."})
    auth.logout()
    auth.login(marketer)
    for path in (f"/campaigns/{campaign.id}", f"/campaigns/{campaign.id}/review"):
        page = client.get(path).get_data(as_text=True)
        assert "Name the &lt;b&gt;Saturday&lt;/b&gt;." in page and f"{reviewer.name} sent this campaign back" in page
    client.post(f"/campaigns/{campaign.id}/review/submit")
    for path in (f"/campaigns/{campaign.id}", f"/campaigns/{campaign.id}/review"):
        assert "sent this campaign back" not in client.get(path).get_data(as_text=True)


def test_a_reviewer_approves_and_schedules_in_one_step_when_the_schedule_is_set(
    app, marketer, reviewer, client, auth, outbox
):
    campaign = campaign_with_text(app, marketer, [("Hello", CLEAN_SENTENCE)], name="Spring")
    auth.login(marketer)
    client.post(f"/campaigns/{campaign.id}/review/submit")
    auth.logout()
    auth.login(reviewer)
    page = client.get(f"/campaigns/{campaign.id}/review").get_data(as_text=True)
    assert 'name="and_schedule"' in page
    client.post(
        f"/campaigns/{campaign.id}/review/approve",
        data={"content_hash": _seen_hash(client, campaign), "and_schedule": "1"},
    )
    db.session.refresh(campaign)
    assert campaign.status == "scheduled" and campaign.messages
    actions = [
        e.action for e in db.session.query(AuditEntry).filter_by(campaign_id=campaign.id).order_by(AuditEntry.id)
    ]
    assert actions[-2:] == ["status:in_review->approved", "status:approved->scheduled"]
    [note] = outbox.emails_to(marketer.email)
    assert "It is scheduled." in note.text
