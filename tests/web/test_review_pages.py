"""The review page, submission through the web, decisions, and the snippet editor."""

import re

import pytest
from markupsafe import Markup
from sqlalchemy import func, select

from service.compliance import Finding
from service.models import AuditEntry, FindingAcceptance, Message
from service.web.review import highlight
from tests.compliance.review_texts import BLOCK_SENTENCE, CLEAN_SENTENCE, WARN_SENTENCE, campaign_with_text
from tests.factories import make_user


@pytest.fixture
def switch_to(auth, client):
    """`switch_to(user)` logs whoever is in out, logs `user` in, and returns the client."""

    def switch(user):
        auth.logout()
        auth.login(user)
        return client

    return switch


def _status(db, campaign) -> str:
    db.session.refresh(campaign)
    return campaign.status


def _seen_hash(client, campaign) -> str:
    page = client.get(f"/campaigns/{campaign.id}/review").get_data(as_text=True)
    return re.search(r'name="content_hash" value="([0-9a-f]+)"', page).group(1)


def _flashes(page: str) -> list[str]:
    return re.findall(r'<div class="flash [^"]*" role="status">(.*?)</div>', page, re.S)


# --- highlighting ----------------------------------------------------------------------------------------


def _finding(start, end, text, severity="warn", rule="r"):
    return Finding(rule=rule, severity=severity, start=start, end=end, text=text[start:end], why="W<", suggestion="S&")


def test_highlight_escapes_text_and_wraps_each_finding():
    text = 'Say <b>"hi"</b> & bye'
    marked = highlight(text, [_finding(4, 15, text, "block")])
    assert isinstance(marked, Markup)
    assert str(marked) == (
        'Say <mark class="finding block" data-rules="r" title="W&lt; \u2014 S&amp;">'
        "&lt;b&gt;&#34;hi&#34;&lt;/b&gt;</mark> &amp; bye"
    )


def test_overlapping_findings_are_cut_into_segments_and_block_wins():
    text = "abcdefghij"
    marked = str(highlight(text, [_finding(0, 6, text, "warn", "a"), _finding(4, 10, text, "block", "b")]))
    assert re.sub(r"<[^>]+>", "", marked) == text
    assert '<mark class="finding warn" data-rules="a"' in marked
    assert '<mark class="finding block" data-rules="a b"' in marked
    assert marked.count("<mark") == 3


def test_empty_and_out_of_range_spans_are_not_marked():
    text = "short"
    assert str(highlight(text, [_finding(0, 0, text), Finding("r", "block", 2, 99, "ort", "w", "s")])) == (
        'sh<mark class="finding block" data-rules="r" title="w \u2014 s">ort</mark>'
    )


# --- the page --------------------------------------------------------------------------------------------


def test_the_review_page_marks_findings_in_the_rendered_email_and_posts(app, marketer, switch_to):
    campaign = campaign_with_text(app, marketer, [("Relief", f"{CLEAN_SENTENCE} {BLOCK_SENTENCE}")], send_post=True)
    page = switch_to(marketer).get(f"/campaigns/{campaign.id}/review").get_data(as_text=True)
    marks = re.findall(r'<mark class="finding (\w+)" data-rules="([^"]+)" title="([^"]*)">([^<]*)</mark>', page)
    assert [(severity, rules, text) for severity, rules, _, text in marks] == [
        ("block", "speed-claim", "within hours"),  # the email body
        ("block", "speed-claim", "within hours"),  # the post
    ]
    assert "Drop the timing promise" in marks[0][2], "the title says why and what instead"
    assert "must be fixed" in page
    assert "Individual results vary." in page, "the whole email is shown, footer included"


def test_a_script_in_a_flagged_sentence_is_shown_as_text(app, marketer, switch_to):
    body = f"<script>alert(1)</script> {WARN_SENTENCE}"
    campaign = campaign_with_text(app, marketer, [("<b>Bold</b> safety", body)], send_post=True)
    page = switch_to(marketer).get(f"/campaigns/{campaign.id}/review").get_data(as_text=True)
    assert "<script>alert" not in page and "<b>Bold" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2  # email body and post
    assert '<mark class="finding warn" data-rules="safety-minimised"' in page


def test_submitting_with_a_block_finding_is_refused_and_shows_the_findings(app, db, marketer, switch_to):
    campaign = campaign_with_text(app, marketer, [("Relief", BLOCK_SENTENCE)])
    client = switch_to(marketer)
    response = client.post(f"/campaigns/{campaign.id}/review/submit", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert _status(db, campaign) == "draft"
    assert any("Fix these before submitting" in flash and "speed-claim" in flash for flash in _flashes(page))
    assert 'data-rule="speed-claim"' in page, "the findings list is on the page the marketer lands on"

    client.post(f"/campaigns/{campaign.id}/submit")  # the campaign page's own action runs the same check
    assert _status(db, campaign) == "draft"


def test_a_warning_is_accepted_only_with_a_reason(app, db, marketer, switch_to):
    campaign = campaign_with_text(app, marketer, [("Safety", WARN_SENTENCE)], send_post=False)
    client = switch_to(marketer)
    page = client.get(f"/campaigns/{campaign.id}/review").get_data(as_text=True)
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]{64})"', page).group(1)

    refused = client.post(f"/campaigns/{campaign.id}/review/accept", data={"fingerprint": fingerprint, "reason": " "})
    assert refused.status_code == 422
    assert "Write why this wording is acceptable" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(FindingAcceptance)) == 0

    client.post(f"/campaigns/{campaign.id}/review/submit")
    assert _status(db, campaign) == "draft", "an unaccepted warning stops submission"

    reason = "The footer names the side effects; our nurse reviewed it."
    client.post(f"/campaigns/{campaign.id}/review/accept", data={"fingerprint": fingerprint, "reason": reason})
    page = client.get(f"/campaigns/{campaign.id}/review").get_data(as_text=True)
    assert f"\u201c{reason}\u201d" in page
    client.post(f"/campaigns/{campaign.id}/review/submit")
    assert _status(db, campaign) == "in_review"


def test_the_author_cannot_approve_their_own_campaign(app, db, switch_to):
    author = make_user("writer@example.org", "reviewer")
    campaign = campaign_with_text(app, author, [("Hello", CLEAN_SENTENCE)])
    client = switch_to(author)
    client.post(f"/campaigns/{campaign.id}/review/submit")
    assert _status(db, campaign) == "in_review"
    page = client.get(f"/campaigns/{campaign.id}/review").get_data(as_text=True)
    assert "another reviewer must approve it" in page
    response = client.post(f"/campaigns/{campaign.id}/review/approve", follow_redirects=True)
    assert any("another reviewer must approve it" in flash for flash in _flashes(response.get_data(as_text=True)))
    client.post(f"/campaigns/{campaign.id}/approve")
    assert _status(db, campaign) == "in_review"


def test_self_approval_when_the_clinic_allows_it_is_audit_logged(app, db, switch_to):
    app.config["ALLOW_SELF_APPROVAL"] = True
    author = make_user("writer@example.org", "reviewer")
    campaign = campaign_with_text(app, author, [("Hello", CLEAN_SENTENCE)])
    client = switch_to(author)
    client.post(f"/campaigns/{campaign.id}/review/submit")
    client.post(f"/campaigns/{campaign.id}/review/approve", data={"content_hash": _seen_hash(client, campaign)})
    assert _status(db, campaign) == "approved"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "approval:self"))
    assert entry.actor_id == author.id and entry.campaign_id == campaign.id


def test_a_marketer_cannot_approve(app, db, marketer, switch_to):
    campaign = campaign_with_text(app, marketer, [("Hello", CLEAN_SENTENCE)])
    client = switch_to(marketer)
    client.post(f"/campaigns/{campaign.id}/review/submit")
    for url in (f"/campaigns/{campaign.id}/review/approve", f"/campaigns/{campaign.id}/approve"):
        client.post(url)
        assert _status(db, campaign) == "in_review"


def test_approval_checks_the_text_as_it_is_now(app, db, marketer, reviewer, switch_to):
    campaign = campaign_with_text(app, marketer, [("Hello", CLEAN_SENTENCE)])
    switch_to(marketer).post(f"/campaigns/{campaign.id}/review/submit")
    assert _status(db, campaign) == "in_review"
    campaign.snippets[0].body = BLOCK_SENTENCE  # changed behind the lifecycle's back
    db.session.commit()
    client = switch_to(reviewer)
    for url in (f"/campaigns/{campaign.id}/review/approve", f"/campaigns/{campaign.id}/approve"):
        client.post(url)
        assert _status(db, campaign) == "in_review"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "status:in_review->approved")) is None


def test_sending_back_needs_a_comment_and_records_it(app, db, marketer, reviewer, switch_to):
    campaign = campaign_with_text(app, marketer, [("Hello", CLEAN_SENTENCE)])
    switch_to(marketer).post(f"/campaigns/{campaign.id}/review/submit")
    client = switch_to(reviewer)
    client.post(f"/campaigns/{campaign.id}/review/send-back", data={"comment": "  "})
    assert _status(db, campaign) == "in_review"
    client.post(f"/campaigns/{campaign.id}/review/send-back", data={"comment": "Name the side effects."})
    assert _status(db, campaign) == "draft"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "status:in_review->draft"))
    assert (entry.actor_id, entry.detail) == (reviewer.id, "Name the side effects.")


@pytest.mark.parametrize("status", ["draft", "in_review"])
def test_a_crafted_schedule_post_cannot_schedule_an_unapproved_campaign(app, db, marketer, switch_to, status):
    campaign = campaign_with_text(app, marketer, [("Hello", CLEAN_SENTENCE)])
    client = switch_to(marketer)
    if status == "in_review":
        client.post(f"/campaigns/{campaign.id}/review/submit")
    assert _status(db, campaign) == status
    assert "Schedule</button>" not in client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    response = client.post(f"/campaigns/{campaign.id}/schedule", follow_redirects=True)
    assert any("Cannot schedule" in flash for flash in _flashes(response.get_data(as_text=True)))
    assert _status(db, campaign) == status
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_a_schedule_post_without_a_csrf_token_is_refused(app, db, marketer, client, auth):
    campaign = campaign_with_text(app, marketer, [("Hello", CLEAN_SENTENCE)])
    campaign.status = "approved"
    db.session.commit()
    auth.login(marketer)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/campaigns/{campaign.id}/schedule").status_code == 400
    assert _status(db, campaign) == "approved"


# --- the snippet editor ----------------------------------------------------------------------------------


def test_editing_a_snippet_returns_the_campaign_to_draft(app, db, marketer, switch_to):
    body = f"{WARN_SENTENCE}\n\n{CLEAN_SENTENCE}"
    campaign = campaign_with_text(app, marketer, [("Safety", body)], send_post=False)
    client = switch_to(marketer)
    page = client.get(f"/campaigns/{campaign.id}/review").get_data(as_text=True)
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]{64})"', page).group(1)
    client.post(f"/campaigns/{campaign.id}/review/accept", data={"fingerprint": fingerprint, "reason": "Checked."})
    client.post(f"/campaigns/{campaign.id}/review/submit")
    assert _status(db, campaign) == "in_review"

    form = client.get(f"/campaigns/{campaign.id}/snippets/0/edit").get_data(as_text=True)
    assert "generally well tolerated" in form
    refused = client.post(f"/campaigns/{campaign.id}/snippets/0/edit", data={"heading": "", "body": "Typed text."})
    assert refused.status_code == 422
    assert "Give the snippet a heading." in refused.get_data(as_text=True)
    assert "Typed text." in refused.get_data(as_text=True), "what was typed is kept"
    assert _status(db, campaign) == "in_review"

    new_body = "Common side effects include nausea and dizziness; staff check on you throughout."
    saved = client.post(f"/campaigns/{campaign.id}/snippets/0/edit", data={"heading": "Safety", "body": new_body})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/campaigns/{campaign.id}/review")
    assert _status(db, campaign) == "draft"
    assert campaign.snippets[0].body == new_body
    assert db.session.scalar(select(func.count()).select_from(FindingAcceptance)) == 0
    assert client.get(f"/campaigns/{campaign.id}/snippets/5/edit").status_code == 404
