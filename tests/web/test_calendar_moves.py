"""The calendar component's sends (JSON), and moving a scheduled send by drag (JSON) or by the keyboard's form."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from service.campaigns.calendar_sends import MoveError, calendar_sends, move_send
from service.extensions import db
from service.models import AuditEntry, Campaign
from service.timezones import utc_to_local
from tests.factories import approve_and_schedule, draft_campaign, import_seed
from tests.web.test_calendar import PHOENIX, days_from_now, local_day


@pytest.fixture
def article(app, seed_article_text):
    return import_seed(seed_article_text)


def scheduled(app, author, reviewer, article, first_send, **overrides) -> Campaign:
    campaign = draft_campaign(app, author, [article.snippets[0].id], first_send, **overrides)
    approve_and_schedule(app, campaign, author, reviewer, datetime.now(UTC))
    return campaign


def window(days: int = 42) -> dict:
    first = local_day(datetime.now(UTC))
    return {"start": f"{first.isoformat()}T00:00:00Z", "end": f"{(first + timedelta(days=days)).isoformat()}T00:00:00Z"}


def test_sends_json_gives_clinic_wall_clock_times_and_marks_drafts_not_approved(
    app, marketer_client, marketer, reviewer, article
):
    live = scheduled(app, marketer, reviewer, article, days_from_now(2), name="Live one")
    draft = draft_campaign(
        app, marketer, [article.snippets[0].id], days_from_now(3, time(14, 15)), name="Still a draft"
    )

    events = marketer_client.get("/calendar/sends.json", query_string=window()).get_json()

    by_name = {event["title"]: event for event in events}
    live_event = by_name["Live one (Email + X)"]
    assert live_event["start"] == f"{local_day(days_from_now(2)).isoformat()}T09:00:00"
    assert live_event["editable"] is True
    assert live_event["url"] == f"/campaigns/{live.id}"
    draft_event = by_name["Still a draft (Email + X) · not approved"]
    assert draft_event["start"].endswith("T14:15:00")
    assert draft_event["editable"] is False and "cal-unapproved" in draft_event["classNames"]
    assert draft_event["url"] == f"/campaigns/{draft.id}"


def test_sends_json_refuses_a_missing_or_huge_window(marketer_client):
    assert marketer_client.get("/calendar/sends.json").status_code == 400
    assert marketer_client.get("/calendar/sends.json", query_string=window(400)).status_code == 400


def test_dragging_a_send_moves_its_email_and_post_and_is_audit_logged(
    app, marketer_client, marketer, reviewer, article
):
    campaign = scheduled(app, marketer, reviewer, article, days_from_now(2))
    send_at = campaign.messages[0].send_at
    target_day = local_day(days_from_now(5))

    response = marketer_client.post(
        "/calendar/move",
        json={"campaign_id": campaign.id, "send_at": send_at.isoformat(), "to": f"{target_day}T16:30:00Z"},
    )

    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    moved = db.session.get(Campaign, campaign.id)
    assert moved.status == "scheduled", "no new review for a move"
    assert {(m.channel, utc_to_local(m.send_at, PHOENIX).replace(tzinfo=None)) for m in moved.messages} == {
        ("email", datetime.combine(target_day, time(16, 30))),
        ("x", datetime.combine(target_day, time(16, 30))),
    }
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "moved a send")).one()
    assert entry.campaign_id == campaign.id and entry.actor_id == marketer.id
    assert f"{target_day} 16:30 MST" in entry.detail


def test_a_send_cannot_be_dragged_into_the_past(app, marketer_client, marketer, reviewer, article):
    campaign = scheduled(app, marketer, reviewer, article, days_from_now(2))
    send_at = campaign.messages[0].send_at
    yesterday = local_day(days_from_now(-1))

    response = marketer_client.post(
        "/calendar/move",
        json={"campaign_id": campaign.id, "send_at": send_at.isoformat(), "to": f"{yesterday}T09:00:00Z"},
    )

    assert response.status_code == 422
    assert "past" in response.get_json()["error"]
    db.session.expire_all()
    assert all(m.send_at == send_at for m in db.session.get(Campaign, campaign.id).messages)


def test_only_scheduled_sends_move(app, marketer, article):
    draft = draft_campaign(app, marketer, [article.snippets[0].id], days_from_now(2))
    with pytest.raises(MoveError, match="scheduled or paused"):
        move_send(
            db.session,
            draft,
            days_from_now(2),
            datetime.combine(local_day(days_from_now(4)), time(9)),
            tz_name=PHOENIX,
            actor=marketer,
            now=datetime.now(UTC),
        )


def test_the_keyboard_move_form_moves_and_keeps_what_was_typed_on_error(
    app, marketer_client, marketer, reviewer, article
):
    campaign = scheduled(app, marketer, reviewer, article, days_from_now(2), send_post=False)
    send_at = campaign.messages[0].send_at
    agenda = marketer_client.get("/calendar").get_data(as_text=True)
    assert f"/calendar/move/{campaign.id}?send_at=" in agenda
    url = f"/calendar/move/{campaign.id}"

    form = marketer_client.get(url, query_string={"send_at": send_at.isoformat()}).get_data(as_text=True)
    assert 'name="date"' in form and 'name="time"' in form

    bad = marketer_client.post(url, data={"send_at": send_at.isoformat(), "date": "2001-01-01", "time": "10:00"})
    assert bad.status_code == 422
    assert "into the past" in bad.get_data(as_text=True) and 'value="2001-01-01"' in bad.get_data(as_text=True)

    new_day = local_day(days_from_now(6))
    good = marketer_client.post(
        url, data={"send_at": send_at.isoformat(), "date": new_day.isoformat(), "time": "07:45"}
    )
    assert good.status_code == 302
    db.session.expire_all()
    message = db.session.get(Campaign, campaign.id).messages[0]
    assert utc_to_local(message.send_at, PHOENIX).replace(tzinfo=None) == datetime.combine(new_day, time(7, 45))


def test_the_daylight_saving_paragraph_shows_only_for_zones_that_change_clocks(app, marketer_client):
    assert "daylight saving" not in marketer_client.get("/calendar").get_data(as_text=True), "Phoenix has no DST"
    app.config["CLINIC_TIMEZONE"] = "America/Denver"
    assert "daylight saving" in marketer_client.get("/calendar").get_data(as_text=True)


def test_calendar_sends_of_a_recurring_draft_follow_its_weekday(app, marketer, article):
    today = local_day(datetime.now(UTC))
    start = days_from_now(7 - today.weekday())  # the next Monday: a weekly start must be on its weekday
    draft_campaign(app, marketer, [article.snippets[0].id], start, schedule_kind="recurring", weekday=0, occurrences=3)
    first = local_day(datetime.now(UTC))

    sends = calendar_sends(db.session, first, first + timedelta(days=42), PHOENIX)

    assert [send.local_start.weekday() for send in sends] == [0, 0, 0]
    assert not any(send.movable or send.approved for send in sends)


def test_the_calendar_page_allows_only_an_empty_inline_style_for_fullcalendar(marketer_client):
    policy = marketer_client.get("/calendar").headers["Content-Security-Policy"]

    assert "style-src 'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='" in policy, "the empty string's hash"
    assert "unsafe-inline" not in policy and "script-src 'self';" in policy
