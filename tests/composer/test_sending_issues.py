"""A composed campaign goes out as one email per issue, through the real SendGrid client to the fake server, on
SQLite and PostgreSQL: a one-off of three sections is one email; each drip step has its own subject."""

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.composer.issues import IssueInput, SectionInput, save_issue
from service.extensions import db
from service.models import Message
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.factories import add_subscriber, approve_and_schedule, draft_campaign, import_seed, make_user
from tests.worker.email_settings import sendgrid_settings


@pytest.fixture
def app_config(app_config, fake_sendgrid):
    return {**app_config, **sendgrid_settings(fake_sendgrid)}


def scheduled(app, snippet_ids, *, compose=None, **overrides):
    """An approved, scheduled campaign of these snippets whose messages are all due now."""
    author = make_user(f"author-{uuid.uuid4().hex[:8]}@example.org", "marketer")
    reviewer = make_user(f"reviewer-{uuid.uuid4().hex[:8]}@example.org", "reviewer")
    now = datetime.now(UTC)
    send_at = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
    campaign = draft_campaign(app, author, snippet_ids, send_at, send_post=False, **overrides)
    if compose:
        compose(campaign)
        db.session.commit()
    approve_and_schedule(app, campaign, author, reviewer, now)
    for message in campaign.messages:
        message.send_at = now - timedelta(seconds=1)
    db.session.commit()
    return campaign


def test_a_one_off_of_three_sections_is_one_email_to_each_recipient(app, fake_sendgrid, seed_article_text):
    add_subscriber(app, "ann@example.org", first_name="Ann")
    add_subscriber(app, "ben@example.org")
    snippets = import_seed(seed_article_text).snippets[:3]
    campaign = scheduled(app, [s.id for s in snippets], email_subject="{{ first_name }}, three things")

    assert [(m.channel, m.issue_id) for m in campaign.messages] == [("email", campaign.issues[0].id)]
    assert run_due_messages(db.session, WorkerContext.from_config(app.config)) == 1

    assert fake_sendgrid.violations == [], "every request is valid by SendGrid's own schema"
    assert Counter(fake_sendgrid.recipients()) == {"ann@example.org": 1, "ben@example.org": 1}, "one email each"
    [request] = fake_sendgrid.requests
    text, html = (block["value"] for block in request.body["content"])
    for snippet in snippets:
        assert snippet.heading in html and snippet.heading in text, "all three sections in the one email"
    assert "<mj-" not in html
    assert request.body["subject"] == "-first_name-, three things"
    names = {p["to"][0]["email"]: p["substitutions"]["-first_name-"] for p in request.body["personalizations"]}
    assert names == {"ann@example.org": "Ann", "ben@example.org": "there"}, "the documented default"
    message = db.session.scalar(select(Message).where(Message.campaign_id == campaign.id))
    assert (message.status, message.sent_count) == ("sent", 2)


def test_each_drip_step_goes_out_with_its_own_subject(app, fake_sendgrid, seed_article_text):
    add_subscriber(app, "ann@example.org", first_name="Ann")
    snippets = import_seed(seed_article_text).snippets[:2]

    def own_subjects(campaign):
        for issue, subject in zip(
            campaign.issues, ("Week one: {{ heading }}", "Week two, {{ first_name }}"), strict=True
        ):
            sections = [SectionInput(s.heading, s.body, id=s.id) for s in issue.sections]
            save_issue(db.session, issue, IssueInput(subject=subject, preheader="A short note", sections=sections))

    campaign = scheduled(app, [s.id for s in snippets], compose=own_subjects, schedule_kind="drip", every_days=7)
    assert len(campaign.issues) == 2 and len(campaign.messages) == 2, "one email per step"
    assert run_due_messages(db.session, WorkerContext.from_config(app.config)) == 2

    assert fake_sendgrid.violations == []
    subjects = sorted(request.body["subject"] for request in fake_sendgrid.requests)
    assert subjects == sorted([f"Week one: {snippets[0].heading}", "Week two, -first_name-"])
    assert all("{" not in subject for subject in subjects), "no brace ever goes out"
