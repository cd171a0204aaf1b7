"""The review page's team work: one reason for every occurrence of a warning (JSON for the page's script, a form
post and redirect without it), and comment threads beside a finding or a section, listed on the campaign page."""

import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from service.compliance.review import review_campaign
from service.models import AuditEntry, FindingAcceptance, ReviewComment
from tests.compliance.review_texts import CLEAN_SENTENCE, WARN_SENTENCE, campaign_with_text

JSON = {"Accept": "application/json"}


@pytest.fixture
def campaign(app, marketer):
    """A draft whose one warning is in the email body and in the post."""
    return campaign_with_text(app, marketer, [("Safety", WARN_SENTENCE)], send_post=True)


@pytest.fixture
def warnings(app, campaign) -> list[str]:
    """The campaign's warning fingerprints, the email's first."""
    review = review_campaign(campaign, dict(app.config))
    return [item.fingerprint for item in sorted(review.warnings, key=lambda item: item.piece.channel)]


def _acceptances(db) -> int:
    return db.session.scalar(select(func.count()).select_from(FindingAcceptance))


def _row(page: str, fingerprint: str):
    return BeautifulSoup(page, "html.parser").find("tr", attrs={"data-fingerprint": fingerprint})


def _accept_url(campaign) -> str:
    return f"/campaigns/{campaign.id}/review/accept"


# --- one reason for every occurrence ----------------------------------------------------------------------


def test_the_page_offers_the_reason_for_every_occurrence_explicitly(campaign, warnings, marketer_client):
    page = marketer_client.get(f"/campaigns/{campaign.id}/review").get_data(as_text=True)
    form = _row(page, warnings[0]).find("form", class_="accept")
    choice = form.find("input", attrs={"name": "every"})
    assert choice is not None and not choice.has_attr("checked"), "one warning at a time unless chosen"
    assert "all 2 occurrences" in form.get_text() and "Email 1 body, Post 1" in form.get_text()
    assert form["action"].endswith(f"#finding-{warnings[0][:16]}")
    assert _row(page, warnings[0])["id"] == f"finding-{warnings[0][:16]}"
    assert "review-accept.js" in page


def test_json_accepts_every_occurrence_in_one_step(db, campaign, warnings, marketer_client):
    data = {"fingerprint": warnings[0], "reason": "Risks are named in the footer.", "every": "on"}
    response = marketer_client.post(_accept_url(campaign), data=data, headers=JSON)
    assert response.status_code == 200
    answer = response.get_json()
    assert sorted(item["fingerprint"] for item in answer["accepted"]) == sorted(warnings)
    assert {item["reason"] for item in answer["accepted"]} == {"Risks are named in the footer."}
    assert answer["accepted_count"] == 2 and "2 places" in answer["message"]
    assert _acceptances(db) == 2


def test_json_refuses_an_empty_reason_and_accepts_nothing(db, campaign, warnings, marketer_client):
    data = {"fingerprint": warnings[0], "reason": "  ", "every": "on"}
    response = marketer_client.post(_accept_url(campaign), data=data, headers=JSON)
    assert response.status_code == 422
    assert response.get_json() == {
        "error": "Write why this wording is acceptable before accepting the warning.",
        "fingerprint": warnings[0],
    }
    assert _acceptances(db) == 0


def test_without_script_every_occurrence_is_accepted_and_the_reader_is_back_at_the_finding(
    db, campaign, warnings, marketer_client
):
    data = {"fingerprint": warnings[0], "reason": "Risks are named.", "every": "on"}
    response = marketer_client.post(_accept_url(campaign), data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/campaigns/{campaign.id}/review#finding-{warnings[0][:16]}")
    page = marketer_client.get(response.headers["Location"]).get_data(as_text=True)
    for fingerprint in warnings:
        row = _row(page, fingerprint)
        assert row.find("form", class_="accept") is None
        assert "\u201cRisks are named.\u201d" in row.find("p", class_="accepted").get_text()


def test_without_the_choice_only_that_occurrence_is_accepted(db, campaign, warnings, marketer_client):
    marketer_client.post(_accept_url(campaign), data={"fingerprint": warnings[0], "reason": "Risks are named."})
    assert db.session.scalars(select(FindingAcceptance.fingerprint)).all() == [warnings[0]]
    page = marketer_client.get(f"/campaigns/{campaign.id}/review").get_data(as_text=True)
    assert _row(page, warnings[1]).find("form", class_="accept") is not None
    assert _row(page, warnings[1]).find("input", attrs={"name": "every"}) is None, "no other occurrence is open"


def test_without_script_an_empty_reason_comes_back_at_the_finding_with_the_error_beside_the_box(
    db, campaign, warnings, marketer_client
):
    response = marketer_client.post(
        _accept_url(campaign), data={"fingerprint": warnings[1], "reason": " ", "every": "on"}
    )
    assert response.status_code == 422
    form = _row(response.get_data(as_text=True), warnings[1]).find("form", class_="accept")
    assert form["action"].endswith(f"#finding-{warnings[1][:16]}"), "the page answered stays at that finding"
    box = form.find("textarea", attrs={"name": "reason"})
    error = box.find_next_sibling("p", class_="error")
    assert error.get_text() == "Write why this wording is acceptable before accepting the warning."
    assert box["aria-describedby"] == error["id"] and box.has_attr("autofocus")
    assert form.find("input", attrs={"name": "every"}).has_attr("checked"), "the choice made is kept"
    assert _acceptances(db) == 0


# --- comments and replies ---------------------------------------------------------------------------------


def _comments_in(element) -> list[str]:
    return [node.get_text() for node in element.find_all("p", class_="comment-body")]


def test_a_comment_on_a_finding_and_its_reply_are_shown_beside_it_and_on_the_campaign_page(
    app, db, campaign, warnings, marketer, reviewer, auth, client
):
    auth.login(reviewer)
    response = client.post(
        f"/campaigns/{campaign.id}/review/comments", data={"finding": warnings[1], "body": "Which risks?"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#finding-{warnings[1][:16]}")
    comment = db.session.scalar(select(ReviewComment))
    auth.logout()
    auth.login(marketer)
    reply = client.post(
        f"/campaigns/{campaign.id}/review/comments/{comment.id}/replies", data={"body": "Nausea, in the footer."}
    )
    assert reply.headers["Location"].endswith(f"#finding-{warnings[1][:16]}")

    page = client.get(f"/campaigns/{campaign.id}/review").get_data(as_text=True)
    assert _comments_in(_row(page, warnings[1])) == ["Which risks?", "Nausea, in the footer."]
    assert _comments_in(_row(page, warnings[0])) == []
    show = BeautifulSoup(client.get(f"/campaigns/{campaign.id}").get_data(as_text=True), "html.parser")
    listed = show.find("section", class_="review-comments")
    assert _comments_in(listed) == ["Which risks?", "Nausea, in the footer."]
    assert "Post 1: safety-minimised" in listed.get_text()
    assert listed.find("a")["href"].endswith(f"/campaigns/{campaign.id}/review#finding-{warnings[1][:16]}")
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("comment:%"))).all()
    assert sorted(actions) == ["comment:added", "comment:replied"]


def test_a_comment_on_a_section_is_shown_beside_the_section(db, campaign, marketer_client):
    section = campaign.sections[0]
    response = marketer_client.post(
        f"/campaigns/{campaign.id}/review/comments", data={"section": str(section.id), "body": "Shorter?"}
    )
    assert response.headers["Location"].endswith(f"#section-{section.id}")
    page = BeautifulSoup(marketer_client.get(f"/campaigns/{campaign.id}/review").get_data(as_text=True), "html.parser")
    assert _comments_in(page.find(id=f"section-{section.id}")) == ["Shorter?"]


def test_an_empty_reply_comes_back_with_the_error_beside_its_box(db, campaign, warnings, marketer_client):
    marketer_client.post(f"/campaigns/{campaign.id}/review/comments", data={"finding": warnings[0], "body": "Hm."})
    comment = db.session.scalar(select(ReviewComment))
    response = marketer_client.post(
        f"/campaigns/{campaign.id}/review/comments/{comment.id}/replies", data={"body": " \n"}
    )
    assert response.status_code == 422
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    box = page.find(id=f"reply-{comment.id}")
    assert box.find_next_sibling("p", class_="error").get_text() == "Write the comment before sending it."
    assert box.find_parent("details").has_attr("open")
    assert box.find_parent("form")["action"].endswith(f"#finding-{warnings[0][:16]}")
    assert db.session.scalar(select(func.count()).select_from(ReviewComment)) == 1


def test_a_control_character_in_a_comment_is_refused_with_what_was_typed(db, campaign, warnings, marketer_client):
    response = marketer_client.post(
        f"/campaigns/{campaign.id}/review/comments", data={"finding": warnings[0], "body": "Fix\x00this"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r"Comment: Remove the control character \(U\+0000\)", page)
    assert db.session.scalar(select(ReviewComment)) is None


def test_a_reply_to_another_campaigns_comment_is_refused(app, db, campaign, marketer, marketer_client):
    other = campaign_with_text(app, marketer, [("Other", CLEAN_SENTENCE)], name="Other")
    marketer_client.post(
        f"/campaigns/{other.id}/review/comments", data={"section": str(other.sections[0].id), "body": "Fine."}
    )
    comment = db.session.scalar(select(ReviewComment))
    response = marketer_client.post(
        f"/campaigns/{campaign.id}/review/comments/{comment.id}/replies", data={"body": "X"}
    )
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(ReviewComment)) == 1


def test_a_thread_on_words_since_changed_stays_readable_on_the_review_page(db, campaign, warnings, marketer_client):
    marketer_client.post(f"/campaigns/{campaign.id}/review/comments", data={"finding": warnings[0], "body": "Hm."})
    campaign.sections[0].body = CLEAN_SENTENCE  # the flagged words are gone
    db.session.commit()
    page = BeautifulSoup(marketer_client.get(f"/campaigns/{campaign.id}/review").get_data(as_text=True), "html.parser")
    earlier = page.find("section", class_="earlier-comments")
    assert _comments_in(earlier) == ["Hm."] and "Email 1 body: safety-minimised" in earlier.get_text()
