"""The audit log page: who did what to which campaign and when, filterable by campaign, person, action and date,
paged; a send's repeated status changes read as one line."""

import html
import re
from datetime import UTC, datetime

from service import audit
from service.extensions import db
from service.web.audit import PAGE_SIZE, describe
from tests.compliance.review_texts import CLEAN_SENTENCE, campaign_with_text


def _rows(page: str) -> list[str]:
    return [html.unescape(action) for action in re.findall(r'<tr data-action="([^"]+)"', page)]


def test_the_audit_log_needs_a_login(client):
    response = client.get("/audit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_transitions_and_decisions_show_who_when_and_what(app, marketer, reviewer, client, auth):
    campaign = campaign_with_text(app, marketer, [("Hello", CLEAN_SENTENCE)])
    auth.login(marketer)
    client.post(f"/campaigns/{campaign.id}/review/submit")
    auth.logout()
    auth.login(reviewer)
    client.post(f"/campaigns/{campaign.id}/review/send-back", data={"comment": "Shorter, please."})
    page = client.get("/audit").get_data(as_text=True)
    assert _rows(page) == ["status:in_review->draft", "status:draft->in_review", "created"]
    assert "Sent back to the author (in review \u2192 draft)" in page and "Shorter, please." in page
    assert reviewer.name in page and marketer.name in page
    assert campaign.name in page
    assert 'href="/audit"' in client.get("/campaigns").get_data(as_text=True), "linked from the navigation"


def test_the_log_filters_by_campaign(app, marketer, client, auth):
    first = campaign_with_text(app, marketer, [("Hello", CLEAN_SENTENCE)], name="First")
    second = campaign_with_text(app, marketer, [("Other", "Bring a friend.")], name="Second")
    audit.record(db.session, "edited", actor=marketer, campaign=second, detail="only the second")
    audit.record(db.session, "edited", actor=None, detail="no campaign")
    db.session.commit()
    auth.login(marketer)

    everything = client.get("/audit").get_data(as_text=True)
    assert "only the second" in everything and "no campaign" in everything

    page = client.get(f"/audit?campaign={second.id}").get_data(as_text=True)
    assert _rows(page) == ["edited", "created"]
    assert "only the second" in page and "no campaign" not in page
    assert f'<option value="{second.id}" selected>' in page
    assert _rows(client.get(f"/audit?campaign={first.id}").get_data(as_text=True)) == ["created"]
    assert client.get("/audit?campaign=abc").status_code == 400


def test_older_entries_are_on_the_next_page(app, marketer, client, auth):
    campaign = campaign_with_text(app, marketer, [("Hello", CLEAN_SENTENCE)])
    for number in range(PAGE_SIZE + 5):
        audit.record(db.session, "edited", actor=marketer, campaign=campaign, detail=f"edit {number:03d}")
    db.session.commit()
    auth.login(marketer)
    first = client.get(f"/audit?campaign={campaign.id}").get_data(as_text=True)
    assert len(_rows(first)) == PAGE_SIZE
    assert f"edit {PAGE_SIZE + 4:03d}" in first, "newest first"
    older = re.search(r'href="(/audit\?[^"]*before=\d+[^"]*)">Older entries', first).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert _rows(second) == ["edited"] * 5 + ["created"]
    assert "edit 000" in second and "Older entries" not in second


def test_actions_read_as_words():
    assert describe("status:in_review->approved") == "Approved (in review \u2192 approved)"
    assert describe("status:sent->scheduled") == "Status: sent \u2192 scheduled"
    assert describe("campaign:test-send") == "Sent a test email"
    assert describe("finding:accepted") == "Accepted a warning"
    assert describe("something:new") == "something:new"


def test_the_log_filters_by_person_action_and_date(app, marketer, reviewer, client, auth):
    campaign = campaign_with_text(app, marketer, [("Hello", CLEAN_SENTENCE)])
    audit.record(db.session, "campaign:test-send", actor=reviewer, campaign=campaign, detail="by the reviewer")
    old = audit.record(db.session, "edited", actor=marketer, campaign=campaign, detail="long ago")
    old.at = datetime(2020, 3, 4, 12, tzinfo=UTC)
    db.session.commit()
    auth.login(marketer)
    by_reviewer = client.get(f"/audit?person={reviewer.id}").get_data(as_text=True)
    assert _rows(by_reviewer) == ["campaign:test-send"]
    assert f'<option value="{reviewer.id}" selected>' in by_reviewer
    tests_sent = client.get("/audit?action=campaign:test-send").get_data(as_text=True)
    assert _rows(tests_sent) == ["campaign:test-send"] and "Sent a test email" in tests_sent
    assert _rows(client.get("/audit?from=2020-03-04&to=2020-03-04").get_data(as_text=True)) == ["edited"]
    assert "long ago" not in client.get("/audit?from=2021-01-01").get_data(as_text=True)
    bad = client.get("/audit?from=yesterday").get_data(as_text=True)
    assert "Give a date as YYYY-MM-DD." in bad and 'value="yesterday"' in bad


def test_a_sends_repeated_status_changes_are_one_line(app, marketer, client, auth):
    campaign = campaign_with_text(app, marketer, [("Hello", CLEAN_SENTENCE)])
    for _ in range(3):
        audit.record(db.session, "status:scheduled->sending", campaign=campaign)
        audit.record(db.session, "status:sending->scheduled", campaign=campaign)
    audit.record(db.session, "status:scheduled->sending", campaign=campaign)
    audit.record(db.session, "status:sending->sent", campaign=campaign)
    db.session.commit()
    auth.login(marketer)
    page = client.get("/audit").get_data(as_text=True)
    assert _rows(page) == ["status:sending->sent", "status:scheduled->sending", "created"]
    assert 'data-repeats="7"' in page
    assert "7 status changes between scheduled and sending" in page
