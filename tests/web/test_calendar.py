"""The calendar page: planned sends for the next six weeks, in the clinic's time, by day, linked to campaigns."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest

from service.campaigns import lifecycle
from service.campaigns.calendar import upcoming_sends
from service.extensions import db
from service.timezones import local_to_utc, utc_to_local
from tests.factories import approve_and_schedule, draft_campaign, import_seed

PHOENIX = "America/Phoenix"


@pytest.fixture
def article(app, seed_article_text):
    return import_seed(seed_article_text)


def scheduled(app, author, reviewer, snippets, first_send: datetime, **overrides):
    campaign = draft_campaign(app, author, [s.id for s in snippets], first_send, **overrides)
    approve_and_schedule(app, campaign, author, reviewer, first_send - timedelta(minutes=10))
    return campaign


def days_from_now(days: int, at: time = time(9, 0)) -> datetime:
    """The UTC instant `days` local days from today at `at`, Phoenix time (the test app's clinic zone)."""
    return local_to_utc(local_day(datetime.now(UTC)) + timedelta(days=days), at, PHOENIX)


def local_day(instant: datetime) -> date:
    return utc_to_local(instant, PHOENIX).date()


def test_the_calendar_needs_a_login(client):
    response = client.get("/calendar")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_calendar_lists_planned_sends_by_local_day_with_links(app, marketer_client, marketer, reviewer, article):
    drip = scheduled(
        app,
        marketer,
        reviewer,
        article.snippets[:3],
        days_from_now(2),
        name="Weekly drip",
        schedule_kind="drip",
        every_days=7,
    )
    scheduled(app, marketer, reviewer, article.snippets[:1], days_from_now(50), name="Too far ahead")
    dropped = scheduled(app, marketer, reviewer, article.snippets[:1], days_from_now(3), name="Called off")
    lifecycle.cancel(db.session, dropped, marketer)
    db.session.commit()

    page = marketer_client.get("/calendar").get_data(as_text=True)

    assert 'href="/calendar"' in page, "linked from the navigation"
    headings = re.findall(r'<h3><time datetime="([\d-]+)">', page)
    assert headings == [local_day(days_from_now(d)).isoformat() for d in (2, 9, 16)]
    assert page.count(f'href="/campaigns/{drip.id}"') == 6, "email and X for each of three weeks"
    assert page.count("9:00 AM MST") == 6
    assert ">Email<" in page and ">X<" in page
    assert "Too far ahead" not in page
    assert "Called off" not in page


def test_a_paused_campaigns_sends_show_marked_paused(app, marketer_client, marketer, reviewer, article):
    campaign = scheduled(app, marketer, reviewer, article.snippets[:1], days_from_now(1), send_post=False)
    lifecycle.pause(db.session, campaign, marketer)
    db.session.commit()

    page = marketer_client.get("/calendar").get_data(as_text=True)

    assert f'href="/campaigns/{campaign.id}"' in page
    assert 'class="status status-paused">paused<' in page


def test_an_empty_calendar_says_so(marketer_client):
    assert "Nothing is planned for the next 6 weeks." in marketer_client.get("/calendar").get_data(as_text=True)


def test_missed_sends_are_listed_for_a_decision(app, marketer_client, marketer, reviewer, article):
    campaign = scheduled(app, marketer, reviewer, article.snippets[:1], days_from_now(1), send_post=False)
    campaign.messages[0].status = "missed"
    db.session.commit()

    page = marketer_client.get("/calendar").get_data(as_text=True)

    assert "Missed sends waiting for a decision" in page
    assert f'href="/campaigns/{campaign.id}"' in page


def test_days_follow_the_clinic_zone_across_a_clock_change_and_note_the_skipped_hour(app, marketer, reviewer, article):
    denver = "America/Denver"
    campaign = draft_campaign(
        app,
        marketer,
        [s.id for s in article.snippets[:3]],
        datetime(2027, 3, 7, 9, 30, tzinfo=UTC),
        send_post=False,
        schedule_kind="drip",
        every_days=7,
    )
    campaign.start_date, campaign.send_time = date(2027, 3, 7), time(2, 30)
    lifecycle.submit_for_review(db.session, campaign, marketer)
    lifecycle.approve(db.session, campaign, reviewer, allow_self_approval=False)
    lifecycle.schedule(db.session, campaign, reviewer, tz_name=denver, now=datetime(2027, 3, 1, tzinfo=UTC))
    db.session.commit()

    days = upcoming_sends(db.session, datetime(2027, 3, 6, 12, tzinfo=UTC), denver)

    assert [day.day for day in days] == [date(2027, 3, 7), date(2027, 3, 14), date(2027, 3, 21)]
    assert [day.entries[0].local_time.time() for day in days] == [time(2, 30), time(3, 30), time(2, 30)]
    assert [day.entries[0].note for day in days] == [
        None,
        "02:30 does not exist on Sun Mar 14, 2027 (clocks spring forward); it sends at 03:30 MDT.",
        None,
    ]
    assert not any(entry.overdue for day in days for entry in day.entries)
    later = upcoming_sends(db.session, datetime(2027, 3, 14, 12, tzinfo=UTC), denver)
    assert [day.day for day in later] == [date(2027, 3, 14), date(2027, 3, 21)], "today's sends stay listed"
    assert later[0].entries[0].overdue
