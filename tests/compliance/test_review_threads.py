"""The review loop's decisions across a campaign: one reason for every occurrence of a warning, and comment
threads on a finding or a section."""

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service.compliance.review import (
    ReviewError,
    accept_every_occurrence,
    accept_warning,
    review_campaign,
    submission_check,
)
from service.compliance.review_comments import (
    CommentError,
    comment_on_finding,
    comment_on_section,
    reply_to,
    threads_by_target,
    threads_of,
)
from service.models import AuditEntry, FindingAcceptance, ReviewComment
from tests.compliance.review_texts import BLOCK_SENTENCE, CLEAN_SENTENCE, WARN_SENTENCE, campaign_with_text
from tests.factories import make_user


@pytest.fixture
def author(app):
    return make_user("author@example.org", "marketer")


@pytest.fixture
def reviewer_user(app):
    return make_user("checker@example.org", "reviewer")


def _actions(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# --- one reason for every occurrence ----------------------------------------------------------------------


def test_one_reason_accepts_the_warning_in_the_email_and_the_post(app, db, author):
    campaign = campaign_with_text(app, author, [("Safety", WARN_SENTENCE)], send_post=True)
    review = review_campaign(campaign, dict(app.config))
    warnings = review.warnings
    assert sorted(item.piece.channel for item in warnings) == ["email", "x"]
    first = next(item for item in warnings if item.piece.channel == "email")
    assert {item.fingerprint for item in review.occurrences(first.fingerprint)} == {w.fingerprint for w in warnings}

    accepted = accept_every_occurrence(db.session, campaign, review, first.fingerprint, "Risks are named.", author)
    db.session.commit()

    assert {row.fingerprint for row in accepted} == {item.fingerprint for item in warnings}
    rows = db.session.scalars(select(FindingAcceptance)).all()
    assert sorted(row.piece for row in rows) == ["Email 1 body", "Post 1"]
    assert {row.reason for row in rows} == {"Risks are named."}
    assert submission_check(db.session, dict(app.config))(campaign) == []
    entries = _actions(db, "finding:accepted")
    assert len(entries) == 2 and all("one reason for 2 occurrences" in entry.detail for entry in entries)


def test_accepting_one_occurrence_leaves_the_others_to_decide(app, db, author):
    campaign = campaign_with_text(app, author, [("Safety", WARN_SENTENCE)], send_post=True)
    review = review_campaign(campaign, dict(app.config))
    first = review.warnings[0]
    accept_warning(db.session, campaign, review, first.fingerprint, "Risks are named.", author)
    db.session.commit()
    assert db.session.scalar(select(FindingAcceptance.fingerprint)) == first.fingerprint
    assert submission_check(db.session, dict(app.config))(campaign) != []
    # What is left open is the other occurrence only.
    [other] = [item for item in review.warnings if item.fingerprint != first.fingerprint]
    assert [item.fingerprint for item in review.occurrences(other.fingerprint, {first.fingerprint})] == [
        other.fingerprint
    ]


def test_another_warning_is_not_covered_by_the_reason(app, db, author):
    other_warning = "Why ketamine is considered safe by some clinicians."
    campaign = campaign_with_text(app, author, [("Safety", WARN_SENTENCE), ("More", other_warning)], send_post=False)
    review = review_campaign(campaign, dict(app.config))
    assert len({item.finding.text for item in review.warnings}) == 2, [w.problem for w in review.warnings]
    target = next(item for item in review.warnings if item.finding.text in WARN_SENTENCE)
    accepted = accept_every_occurrence(db.session, campaign, review, target.fingerprint, "Risks are named.", author)
    assert [row.fingerprint for row in accepted] == [target.fingerprint]


@pytest.mark.parametrize("reason", ["", "  \n  "])
def test_an_empty_reason_accepts_no_occurrence(app, db, author, reason):
    campaign = campaign_with_text(app, author, [("Safety", WARN_SENTENCE)], send_post=True)
    review = review_campaign(campaign, dict(app.config))
    with pytest.raises(ReviewError, match="Write why"):
        accept_every_occurrence(db.session, campaign, review, review.warnings[0].fingerprint, reason, author)
    assert db.session.scalar(select(FindingAcceptance)) is None
    assert _actions(db, "finding:accepted") == []


def test_a_block_finding_is_no_warning_to_accept_everywhere(app, db, author):
    campaign = campaign_with_text(app, author, [("Relief", BLOCK_SENTENCE)], send_post=True)
    review = review_campaign(campaign, dict(app.config))
    fingerprint = review.blocking[0].fingerprint
    assert review.occurrences(fingerprint) == []
    with pytest.raises(ReviewError, match="no longer"):
        accept_every_occurrence(db.session, campaign, review, fingerprint, "Because.", author)


# --- comment threads ----------------------------------------------------------------------------------------


def test_a_comment_on_a_finding_is_answered_in_one_thread(app, db, author, reviewer_user):
    campaign = campaign_with_text(app, author, [("Safety", WARN_SENTENCE)], send_post=True)
    review = review_campaign(campaign, dict(app.config))
    finding = review.warnings[0]

    first = comment_on_finding(db.session, campaign, review, finding.fingerprint, "  Which risks?  ", reviewer_user)
    answer = reply_to(db.session, campaign, first.id, "Nausea and dizziness, in the footer.", author)
    again = reply_to(db.session, campaign, answer.id, "Good, thanks.", reviewer_user)  # a reply to a reply
    db.session.commit()

    [thread] = threads_of(db.session, campaign)
    assert thread.id == first.id and thread.body == "Which risks?"
    assert [(reply.author_label, reply.body) for reply in thread.replies] == [
        (author.name, "Nausea and dizziness, in the footer."),
        (reviewer_user.name, "Good, thanks."),
    ]
    assert again.parent_id == first.id and again.fingerprint == finding.fingerprint
    assert threads_by_target([thread]) == {f"finding:{finding.fingerprint}": [thread]}
    assert thread.target_label == finding.problem

    [added] = _actions(db, "comment:added")
    assert (added.actor_id, added.campaign_id) == (reviewer_user.id, campaign.id)
    assert finding.finding.rule in added.detail and "Which risks?" in added.detail
    replies = _actions(db, "comment:replied")
    assert [entry.actor_id for entry in replies] == [author.id, reviewer_user.id]
    assert "Good, thanks." in replies[1].detail


def test_a_comment_on_a_section_is_kept_by_the_section(app, db, author, reviewer_user):
    campaign = campaign_with_text(app, author, [("Opening hours", CLEAN_SENTENCE), ("Parking", "Park behind.")])
    section = campaign.sections[1]
    comment = comment_on_section(db.session, campaign, section.id, "Which lot?", reviewer_user)
    db.session.commit()
    assert comment.target == f"section:{section.id}" and comment.target_label == "Section \u201cParking\u201d"
    assert "Parking" in _actions(db, "comment:added")[0].detail


def test_empty_or_misplaced_comments_are_refused(app, db, author, reviewer_user):
    campaign = campaign_with_text(app, author, [("Safety", WARN_SENTENCE)], send_post=False)
    other = campaign_with_text(app, author, [("Other", CLEAN_SENTENCE)], name="Other campaign")
    review = review_campaign(campaign, dict(app.config))
    fingerprint = review.warnings[0].fingerprint
    with pytest.raises(CommentError, match="Write the comment"):
        comment_on_finding(db.session, campaign, review, fingerprint, " \n ", reviewer_user)
    with pytest.raises(CommentError, match="no longer"):
        comment_on_finding(db.session, campaign, review, "0" * 64, "Hm.", reviewer_user)
    with pytest.raises(CommentError, match="no longer"):
        comment_on_section(db.session, campaign, other.sections[0].id, "Hm.", reviewer_user)
    elsewhere = comment_on_section(db.session, other, other.sections[0].id, "Fine.", reviewer_user)
    with pytest.raises(CommentError, match="not on this campaign"):
        reply_to(db.session, campaign, elsewhere.id, "Hm.", author)
    with pytest.raises(CommentError, match="under 2000"):
        comment_on_finding(db.session, campaign, review, fingerprint, "x" * 2001, reviewer_user)
    assert db.session.scalars(select(ReviewComment)).all() == [elsewhere]


def test_a_comment_is_about_exactly_one_finding_or_section(app, db, author):
    campaign = campaign_with_text(app, author, [("Safety", CLEAN_SENTENCE)], send_post=False)
    for fingerprint, section_id in ((None, None), ("f" * 64, campaign.sections[0].id)):
        db.session.add(
            ReviewComment(
                campaign_id=campaign.id,
                fingerprint=fingerprint,
                section_id=section_id,
                target_label="x",
                body="x",
                author_label="x",
            )
        )
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
