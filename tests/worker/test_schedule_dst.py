"""Schedules keep the clinic's wall-clock time across daylight-saving changes (America/Denver, 2027), the skipped
and the repeated hour follow DST_RULE, and Phoenix (no daylight saving) is unaffected."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from service.campaigns import lifecycle
from service.campaigns.schedule import Schedule, plan_send_times
from service.extensions import db
from service.models import Message
from service.timezones import DST_RULE, local_time_note, local_to_utc, utc_to_local
from tests.factories import draft_campaign, import_seed

DENVER = "America/Denver"
PHOENIX = "America/Phoenix"
SPRING_FORWARD = date(2027, 3, 14)  # 02:00 MST -> 03:00 MDT
FALL_BACK = date(2027, 11, 7)  # 02:00 MDT -> 01:00 MST
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def local_times(planned, tz_name: str) -> list[tuple[date, time]]:
    return [
        (utc_to_local(send.send_at, tz_name).date(), utc_to_local(send.send_at, tz_name).time()) for send in planned
    ]


def utc_hours(planned) -> list[int]:
    return [send.send_at.astimezone(UTC).hour for send in planned]


@pytest.mark.parametrize(
    ("start", "expected_utc_hours"),
    [
        (SPRING_FORWARD - timedelta(days=7), [16, 15, 15]),  # 09:00 MST is 16:00 UTC; 09:00 MDT is 15:00 UTC
        (FALL_BACK - timedelta(days=7), [15, 16, 16]),
    ],
)
def test_a_weekly_drip_keeps_its_local_time_across_a_clock_change(start, expected_utc_hours):
    schedule = Schedule(kind="drip", start_date=start, send_time=time(9, 0), every_days=7)

    planned = plan_send_times(schedule, 3, DENVER, LONG_AGO)

    assert local_times(planned, DENVER) == [(start + timedelta(days=7 * i), time(9, 0)) for i in range(3)]
    assert utc_hours(planned) == expected_utc_hours


def test_a_daily_drip_over_both_changes_stays_at_the_same_local_time():
    schedule = Schedule(kind="drip", start_date=date(2027, 3, 12), send_time=time(7, 45), every_days=1)

    planned = plan_send_times(schedule, 5, DENVER, LONG_AGO)

    assert {t for _, t in local_times(planned, DENVER)} == {time(7, 45)}
    assert [d for d, _ in local_times(planned, DENVER)] == [date(2027, 3, 12) + timedelta(days=i) for i in range(5)]


def test_a_weekly_schedule_keeps_its_weekday_and_time_across_both_2027_changes():
    # Tuesdays from early March to late November: both clock changes fall inside.
    schedule = Schedule(
        kind="recurring", start_date=date(2027, 3, 1), send_time=time(10, 30), weekday=1, occurrences=40
    )

    planned = plan_send_times(schedule, 3, DENVER, LONG_AGO)

    local = [utc_to_local(send.send_at, DENVER) for send in planned]
    assert all(moment.weekday() == 1 and moment.time() == time(10, 30) for moment in local)
    assert [send.snippet_index for send in planned[:4]] == [0, 1, 2, 0]
    offsets = {moment.date(): moment.utcoffset() for moment in local}
    assert offsets[date(2027, 3, 9)] == timedelta(hours=-7)  # last Tuesday before spring forward: MST
    assert offsets[date(2027, 3, 16)] == timedelta(hours=-6)
    assert offsets[date(2027, 11, 2)] == timedelta(hours=-6)
    assert offsets[date(2027, 11, 9)] == timedelta(hours=-7)  # first Tuesday after fall back: MST again


def test_a_time_skipped_by_spring_forward_moves_forward_by_the_gap():
    instant = local_to_utc(SPRING_FORWARD, time(2, 30), DENVER)

    assert instant == datetime(2027, 3, 14, 9, 30, tzinfo=UTC)
    assert utc_to_local(instant, DENVER).time() == time(3, 30)
    assert "02:30 becomes 03:30" in DST_RULE


def test_a_time_repeated_by_fall_back_means_the_first_one():
    instant = local_to_utc(FALL_BACK, time(1, 30), DENVER)

    assert instant == datetime(2027, 11, 7, 7, 30, tzinfo=UTC)  # 01:30 MDT, not 01:30 MST (08:30 UTC)
    assert utc_to_local(instant, DENVER).utcoffset() == timedelta(hours=-6)
    assert "happens twice" in DST_RULE and "the first one" in DST_RULE


def test_a_drip_at_the_skipped_hour_sends_at_0330_only_on_that_day():
    schedule = Schedule(kind="drip", start_date=SPRING_FORWARD - timedelta(days=7), send_time=time(2, 30), every_days=7)

    planned = plan_send_times(schedule, 3, DENVER, LONG_AGO)

    assert [t for _, t in local_times(planned, DENVER)] == [time(2, 30), time(3, 30), time(2, 30)]


def test_notes_say_how_the_rule_applied_and_are_silent_otherwise():
    assert local_time_note(FALL_BACK, time(1, 30), DENVER) == (
        "01:30 happens twice on Sun Nov 7, 2027 (clocks fall back); it sends at the first, 01:30 MDT."
    )
    assert local_time_note(SPRING_FORWARD, time(2, 30), DENVER) == (
        "02:30 does not exist on Sun Mar 14, 2027 (clocks spring forward); it sends at 03:30 MDT."
    )
    assert local_time_note(FALL_BACK, time(2, 30), DENVER) is None
    assert local_time_note(SPRING_FORWARD, time(3, 30), DENVER) is None
    assert local_time_note(SPRING_FORWARD, time(2, 30), PHOENIX) is None


@pytest.mark.parametrize("start", [SPRING_FORWARD - timedelta(days=7), FALL_BACK - timedelta(days=7)])
def test_phoenix_has_no_daylight_saving_so_nothing_moves(start):
    schedule = Schedule(kind="drip", start_date=start, send_time=time(2, 30), every_days=7)

    planned = plan_send_times(schedule, 3, PHOENIX, LONG_AGO)

    assert utc_hours(planned) == [9, 9, 9]  # 02:30 MST (UTC-7) all year
    assert {t for _, t in local_times(planned, PHOENIX)} == {time(2, 30)}


def test_scheduling_a_campaign_in_denver_stores_utc_instants_at_the_local_time(
    app, marketer, reviewer, seed_article_text
):
    article = import_seed(seed_article_text)
    snippet_ids = [snippet.id for snippet in article.snippets[:3]]
    campaign = draft_campaign(
        app,
        marketer,
        snippet_ids,
        datetime(2027, 3, 7, 16, 0, tzinfo=UTC),
        send_post=False,
        schedule_kind="drip",
        every_days=7,
    )
    campaign.start_date, campaign.send_time = SPRING_FORWARD - timedelta(days=7), time(8, 15)
    lifecycle.submit_for_review(db.session, campaign, marketer)
    lifecycle.approve(db.session, campaign, reviewer, allow_self_approval=False)
    lifecycle.schedule(db.session, campaign, reviewer, tz_name=DENVER, now=LONG_AGO)
    db.session.commit()
    db.session.expire_all()

    sends = db.session.scalars(select(Message.send_at).where(Message.campaign_id == campaign.id)).all()
    assert sorted(sends) == [
        datetime(2027, 3, 7, 15, 15, tzinfo=UTC),
        datetime(2027, 3, 14, 14, 15, tzinfo=UTC),
        datetime(2027, 3, 21, 14, 15, tzinfo=UTC),
    ]
