"""Reviewing a campaign: the claims check on every rendered email and post, warnings accepted with a reason."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.campaigns import lifecycle
from service.campaigns.lifecycle import LifecycleError
from service.compliance.review import (
    NOT_HTTPS_NOTICE,
    PLACEHOLDER_NOTICE,
    ReviewError,
    accept_warning,
    accepted_fingerprints,
    review_campaign,
    submission_check,
)
from service.compliance.setup import send_time_problem
from service.composer.editing import revise_section
from service.composer.issues import IssueInputError
from service.extensions import db
from service.models import AuditEntry, Campaign, FindingAcceptance, Snippet
from service.settings import PLACEHOLDER_POSTAL_ADDRESS, REPO_ROOT
from tests.compliance.review_texts import (
    BLOCK_SENTENCE,
    CLEAN_SENTENCE,
    REAL_ADDRESS,
    WARN_SENTENCE,
    campaign_with_text,
)
from tests.factories import approve_and_schedule, draft_campaign, make_user


def review_config(app, **config) -> dict:
    return {**app.config, **config}


def rules_of(items) -> set[str]:
    return {item.finding.rule for item in items}


@pytest.fixture
def author(app):
    return make_user("author@example.org", "marketer")


# --- what is checked -------------------------------------------------------------------------------------


def test_every_sample_campaign_passes_review(app, db, runner, author):
    result = runner.invoke(args=["campaigns", "load", str(REPO_ROOT / "campaigns"), "--as", author.email])
    assert result.exit_code == 0, result.output
    campaigns = db.session.scalars(select(Campaign)).all()
    assert len(campaigns) >= 3
    for campaign in campaigns:
        review = review_campaign(campaign, review_config(app))
        assert review.blocking == [], (campaign.name, [item.problem for item in review.blocking])
        assert review.problems() == [], campaign.name
        assert submission_check(db.session, review_config(app))(campaign) == []


def test_every_email_and_post_part_is_checked_as_rendered(app, author):
    long_body = " ".join([CLEAN_SENTENCE] * 12)  # too long for one post: a thread
    campaign = campaign_with_text(app, author, [("First", CLEAN_SENTENCE), ("Second", long_body)], send_post=True)
    review = review_campaign(campaign, review_config(app))
    kinds = [(piece.issue_index, piece.channel, piece.kind) for piece in review.pieces]
    for kind in ("subject", "body", "text", "links"):
        assert kinds.count((0, "email", kind)) == 1, "one email of both sections"
    posts = [piece for piece in review.pieces if piece.channel == "x"]
    assert [piece.post_index for piece in posts].count(1) > 1, "the long section goes out as a thread"
    assert posts[-1].label == f"Post 2, part {posts[-1].parts} of {posts[-1].parts}"
    body = next(piece for piece in review.pieces if piece.kind == "body")
    assert "Hello," in body.text and "-greeting" not in body.text, "recipient placeholders are filled"
    assert "Individual results vary." in body.text, "the footer is part of what is checked"
    assert "First" in body.text and "Second" in body.text
    plain = next(piece for piece in review.pieces if piece.kind == "text")
    assert f"Unsubscribe: {app.config['PUBLIC_BASE_URL']}/unsubscribe/" in plain.text
    assert review.findings == []


def test_findings_point_into_the_piece_they_were_found_in(app, author):
    campaign = campaign_with_text(app, author, [("Relief", f"{CLEAN_SENTENCE} {BLOCK_SENTENCE}")], send_post=True)
    review = review_campaign(campaign, review_config(app))
    assert {(item.piece.kind, item.finding.rule) for item in review.blocking} == {
        ("body", "speed-claim"),
        ("post", "speed-claim"),
    }
    for item in review.findings:
        assert item.piece.text[item.finding.start : item.finding.end] == item.finding.text
    assert any("speed-claim" in problem for problem in review.problems())


def test_the_subject_is_checked_as_a_subject(app, author):
    campaign = campaign_with_text(app, author, [("Hello", CLEAN_SENTENCE)], subject="Still struggling with anxiety?")
    review = review_campaign(campaign, review_config(app))
    assert [(item.piece.kind, item.finding.rule) for item in review.blocking] == [
        ("subject", "second-person-diagnosis")
    ]


def test_a_patient_story_in_an_email_needs_its_own_disclosure_not_the_footers(app, author):
    story = "After my third session, I finally feel like myself again."
    bare = campaign_with_text(app, author, [("One story", story)], name="Story", send_post=False)
    disclosed = campaign_with_text(
        app,
        author,
        [("One story", f"{story} Individual results vary; this is one person's experience.")],
        name="Disclosed story",
        send_post=False,
    )

    assert "Individual results vary" in review_campaign(bare, review_config(app)).pieces[1].text, "the footer's"
    assert ("body", "testimonial-without-disclosure") in {
        (item.piece.kind, item.finding.rule) for item in review_campaign(bare, review_config(app)).blocking
    }
    assert "testimonial-without-disclosure" not in rules_of(review_campaign(disclosed, review_config(app)).blocking)


def test_personal_data_in_a_link_blocks(app, author):
    link = "https://www.daytryphealth.com/blog?email=someone@example.org"
    campaign = campaign_with_text(app, author, [("Hello", CLEAN_SENTENCE)], link_url=link, send_post=False)
    review = review_campaign(campaign, review_config(app))
    assert ("links", "personal-data-in-url") in {(item.piece.kind, item.finding.rule) for item in review.blocking}


# --- settings versus content -------------------------------------------------------------------------------


def test_the_sample_address_is_a_notice_in_outbox_mode_and_blocks_real_sends(app, author):
    campaign = campaign_with_text(app, author, [("Hello", CLEAN_SENTENCE)], send_post=False)
    assert app.config["CLINIC_POSTAL_ADDRESS"] == PLACEHOLDER_POSTAL_ADDRESS

    outbox = review_campaign(campaign, review_config(app))
    assert outbox.notices == (PLACEHOLDER_NOTICE,)
    assert outbox.blocking == []

    real = review_campaign(campaign, review_config(app, EMAIL_CHANNEL="sendgrid"))
    assert real.notices == ()
    assert {(item.piece.kind, item.finding.rule) for item in real.blocking} == {
        ("body", "required-postal-address"),
        ("text", "required-postal-address"),
    }
    assert "sample address" in real.blocking[0].finding.why

    configured = review_campaign(
        campaign, review_config(app, EMAIL_CHANNEL="sendgrid", CLINIC_POSTAL_ADDRESS=REAL_ADDRESS)
    )
    assert configured.findings == [] and configured.notices == ()


def test_a_missing_legal_name_blocks_even_in_outbox_mode(app, author):
    campaign = campaign_with_text(app, author, [("Hello", CLEAN_SENTENCE)], send_post=False)
    review = review_campaign(campaign, review_config(app, CLINIC_LEGAL_NAME=""))
    assert "required-legal-name" in rules_of(review.blocking)


def test_a_plain_http_unsubscribe_link_blocks_only_real_sends(app, author):
    campaign = campaign_with_text(app, author, [("Hello", CLEAN_SENTENCE)], send_post=False)
    http = {"PUBLIC_BASE_URL": "http://127.0.0.1:8000"}
    assert NOT_HTTPS_NOTICE in review_campaign(campaign, review_config(app, **http)).notices
    real = review_campaign(
        campaign, review_config(app, EMAIL_CHANNEL="sendgrid", CLINIC_POSTAL_ADDRESS=REAL_ADDRESS, **http)
    )
    assert rules_of(real.blocking) == {"required-list-unsubscribe"}


def test_send_time_refuses_the_sample_address_only_for_real_sends(app):
    assert send_time_problem(app.config) is None
    problem = send_time_problem({**app.config, "EMAIL_CHANNEL": "sendgrid"})
    assert problem and "CLINIC_POSTAL_ADDRESS" in problem
    assert send_time_problem({**app.config, "EMAIL_CHANNEL": "sendgrid", "CLINIC_POSTAL_ADDRESS": REAL_ADDRESS}) is None


# --- submitting, accepting warnings -----------------------------------------------------------------------


def test_a_block_finding_stops_submission(app, db, author):
    campaign = campaign_with_text(app, author, [("Relief", BLOCK_SENTENCE)])
    with pytest.raises(LifecycleError, match="speed-claim"):
        lifecycle.submit_for_review(
            db.session, campaign, author, checks=(submission_check(db.session, review_config(app)),)
        )
    assert campaign.status == "draft"


def test_a_warning_needs_a_written_reason_before_submission(app, db, author):
    campaign = campaign_with_text(app, author, [("Safety", WARN_SENTENCE)], send_post=False)
    ctx = review_config(app)
    review = review_campaign(campaign, ctx)
    assert review.blocking == []
    [warning] = review.warnings
    assert warning.finding.rule == "safety-minimised"
    check = submission_check(db.session, ctx)
    assert check(campaign) == [f"{warning.problem} needs a library claim or a written reason to accept it"]

    for empty in ("", "   \n "):
        with pytest.raises(ReviewError, match="why"):
            accept_warning(db.session, campaign, review, warning.fingerprint, empty, author)
    with pytest.raises(ReviewError, match="no longer"):
        accept_warning(db.session, campaign, review, "0" * 64, "Because.", author)
    assert db.session.scalar(select(FindingAcceptance)) is None

    accept_warning(db.session, campaign, review, warning.fingerprint, "Named risks follow in the footer.", author)
    db.session.commit()
    assert check(campaign) == []
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "finding:accepted"))
    assert entry.actor_id == author.id and entry.campaign_id == campaign.id
    assert "safety-minimised" in entry.detail and "Named risks follow in the footer." in entry.detail

    lifecycle.submit_for_review(db.session, campaign, author, checks=(check,))
    assert campaign.status == "in_review"
    with pytest.raises(ReviewError, match="draft"):
        accept_warning(db.session, campaign, review, warning.fingerprint, "Again.", author)


def test_a_warning_in_the_subject_is_accepted_once_for_every_email(app, db, author):
    subject = "Why ketamine is considered safe by some clinicians"
    sections = [("One", CLEAN_SENTENCE), ("Two", "Bring a friend.")]
    campaign = campaign_with_text(app, author, sections, subject=subject, schedule_kind="drip", every_days=7)
    review = review_campaign(campaign, review_config(app))
    subject_warnings = [item for item in review.warnings if item.piece.kind == "subject"]
    assert len(subject_warnings) == 2
    assert len({item.fingerprint for item in subject_warnings}) == 1


def test_acceptances_are_cleared_when_the_flagged_words_change(app, db, author):
    body = f"{WARN_SENTENCE}\n\n{CLEAN_SENTENCE}"
    campaign = campaign_with_text(app, author, [("Safety", body)], send_post=False)
    ctx = review_config(app)
    review = review_campaign(campaign, ctx)
    accept_warning(db.session, campaign, review, review.warnings[0].fingerprint, "Reviewed with the nurse.", author)
    db.session.commit()
    section = campaign.sections[0]

    # Another sentence changes: the decision on the flagged one stands.
    revise_section(db.session, campaign, section, "Safety", f"{WARN_SENTENCE}\n\nStaff stay with you.", author, ctx)
    db.session.commit()
    assert len(accepted_fingerprints(db.session, campaign)) == 1
    assert submission_check(db.session, ctx)(campaign) == []

    # The flagged sentence changes: the old decision no longer applies.
    reworded = "Ketamine is considered safe by some clinicians."
    revise_section(db.session, campaign, section, "Safety", reworded, author, ctx)
    db.session.commit()
    assert accepted_fingerprints(db.session, campaign) == {}
    assert submission_check(db.session, ctx)(campaign)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.campaign_id == campaign.id)).all()
    assert "findings:acceptances-cleared" in actions and actions.count("issue:edited") == 2


# --- editing a section's words ----------------------------------------------------------------------------


def test_editing_a_section_changes_this_campaign_only(app, db, author, reviewer):
    ctx = review_config(app)
    first = campaign_with_text(app, author, [("Hello", CLEAN_SENTENCE)], send_post=False)
    snippet_ids = [section.source_snippet_id for section in first.sections]
    when = datetime.now(UTC) + timedelta(days=2)
    second = draft_campaign(app, author, snippet_ids, when, name="Second", send_post=False)
    approve_and_schedule(app, second, author, reviewer, datetime.now(UTC))
    assert second.status == "scheduled" and second.messages

    assert revise_section(db.session, first, first.sections[0], "Hello again", CLEAN_SENTENCE, author, ctx)
    db.session.commit()
    assert first.sections[0].heading == "Hello again"
    assert (second.status, second.sections[0].heading) == ("scheduled", "Hello"), "the other campaign keeps its copy"
    assert db.session.get(Snippet, snippet_ids[0]).heading == "Hello", "the article is left as imported"
    assert not revise_section(db.session, first, first.sections[0], "Hello again", CLEAN_SENTENCE, author, ctx)


def test_editing_an_approved_campaign_returns_it_to_review(app, db, author, reviewer):
    ctx = review_config(app)
    campaign = campaign_with_text(app, author, [("Hello", CLEAN_SENTENCE)], send_post=False)
    approve_and_schedule(app, campaign, author, reviewer, datetime.now(UTC))
    assert revise_section(db.session, campaign, campaign.sections[0], "Hi", CLEAN_SENTENCE, author, ctx)
    db.session.commit()
    assert campaign.status == "draft" and campaign.messages == [], "planned messages of the old text are dropped"


def test_a_campaign_that_is_being_sent_cannot_be_edited(app, db, author):
    ctx = review_config(app)
    campaign = campaign_with_text(app, author, [("Hello", CLEAN_SENTENCE)], send_post=False)
    campaign.status = "sending"
    db.session.commit()
    with pytest.raises(LifecycleError):
        revise_section(db.session, campaign, campaign.sections[0], "New", CLEAN_SENTENCE, author, ctx)
    db.session.rollback()
    assert campaign.sections[0].heading == "Hello"


@pytest.mark.parametrize(
    ("heading", "body", "field"),
    [("", CLEAN_SENTENCE, "heading"), ("Two\nlines", CLEAN_SENTENCE, "heading"), ("x" * 301, "b", "heading"),
     ("Fine", "  ", "body")],
)  # fmt: skip
def test_section_text_is_validated(app, author, heading, body, field):
    campaign = campaign_with_text(app, author, [("Hello", CLEAN_SENTENCE)], send_post=False)
    with pytest.raises(IssueInputError) as caught:
        revise_section(db.session, campaign, campaign.sections[0], heading, body, author, review_config(app))
    assert f"sections.0.{field}" in caught.value.errors


# --- nothing unapproved is scheduled ----------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "in_review"])
def test_an_unapproved_campaign_cannot_be_scheduled(app, db, author, status):
    campaign = campaign_with_text(app, author, [("Hello", CLEAN_SENTENCE)], send_post=False)
    if status == "in_review":
        lifecycle.submit_for_review(
            db.session, campaign, author, checks=(submission_check(db.session, review_config(app)),)
        )
    with pytest.raises(LifecycleError, match="schedule"):
        lifecycle.schedule(db.session, campaign, author, tz_name=app.config["CLINIC_TIMEZONE"], now=datetime.now(UTC))
    assert campaign.status == status and campaign.messages == []
