"""Local schedules become UTC send times."""

from datetime import UTC, date, datetime, time

import pytest

from service.campaigns.schedule import Schedule, ScheduleError, plan_entered_schedule, plan_send_times

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_once_sends_every_snippet_at_the_same_phoenix_time():
    planned = plan_send_times(Schedule("once", date(2026, 12, 2), time(9, 0)), 2, "America/Phoenix", NOW)
    assert [p.send_at for p in planned] == [datetime(2026, 12, 2, 16, 0, tzinfo=UTC)] * 2
    assert [p.snippet_index for p in planned] == [0, 1]


def test_drip_sends_one_snippet_every_n_days():
    schedule = Schedule("drip", date(2026, 12, 2), time(9, 0), every_days=7)
    planned = plan_send_times(schedule, 3, "America/Phoenix", NOW)
    assert [p.send_at.date() for p in planned] == [date(2026, 12, 2), date(2026, 12, 9), date(2026, 12, 16)]


def test_weekly_starts_on_the_first_chosen_weekday_and_cycles_through_snippets():
    schedule = Schedule("recurring", date(2026, 12, 2), time(10, 0), weekday=1, occurrences=3)  # Tuesdays
    planned = plan_send_times(schedule, 2, "America/Phoenix", NOW)
    assert [p.send_at.date() for p in planned] == [date(2026, 12, 8), date(2026, 12, 15), date(2026, 12, 22)]
    assert [p.snippet_index for p in planned] == [0, 1, 0]


@pytest.mark.parametrize(
    ("schedule", "field"),
    [
        (Schedule("once", date(2026, 11, 30), time(9, 0)), "start_date"),
        (Schedule("once", None, time(9, 0)), "start_date"),
        (Schedule("once", date(2026, 12, 2), None), "send_time"),
        (Schedule("drip", date(2026, 12, 2), time(9, 0), every_days=0), "every_days"),
        (Schedule("recurring", date(2026, 12, 2), time(9, 0), weekday=None, occurrences=2), "weekday"),
        (Schedule("hourly", date(2026, 12, 2), time(9, 0)), "schedule_kind"),
    ],
)
def test_an_impossible_schedule_names_the_field_to_fix(schedule, field):
    with pytest.raises(ScheduleError) as error:
        plan_send_times(schedule, 1, "America/Phoenix", NOW)
    assert error.value.field == field


def test_an_entered_weekly_schedule_plans_from_a_start_on_its_weekday():
    schedule = Schedule("recurring", date(2026, 12, 8), time(10, 0), weekday=1, occurrences=2)  # a Tuesday

    planned = plan_entered_schedule(schedule, 1, "America/Phoenix", NOW)

    assert [p.send_at for p in planned] == [
        datetime(2026, 12, 8, 17, 0, tzinfo=UTC),
        datetime(2026, 12, 15, 17, 0, tzinfo=UTC),
    ]


def test_an_entered_weekly_start_date_off_its_weekday_is_said_plainly():
    schedule = Schedule("recurring", date(2026, 12, 2), time(10, 0), weekday=1, occurrences=2)  # a Wednesday

    with pytest.raises(ScheduleError) as error:
        plan_entered_schedule(schedule, 1, "America/Phoenix", NOW)

    assert error.value.field == "start_date"
    assert error.value.message == (
        "December 2, 2026 is a Wednesday, but this campaign sends on Tuesdays. "
        "Choose a Tuesday as the first send date, or change the weekday."
    )


def test_an_entered_schedule_names_a_missing_field_before_the_weekday():
    schedule = Schedule("recurring", date(2026, 12, 2), time(10, 0), weekday=1, occurrences=None)

    with pytest.raises(ScheduleError) as error:
        plan_entered_schedule(schedule, 1, "America/Phoenix", NOW)

    assert error.value.field == "occurrences"
