"""When a campaign's snippets go out: local schedules turned into UTC send times."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from service.timezones import local_to_utc

MAX_OCCURRENCES = 104
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class ScheduleError(ValueError):
    """The schedule cannot be planned; `field` names the form field to show the message next to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Schedule:
    """A schedule as the marketer entered it, in the clinic's local time.

    once:      every snippet at start_date + send_time.
    drip:      snippet i at start_date + i * every_days, at send_time.
    recurring: every week on `weekday` (0 = Monday) at send_time, from start_date on, one snippet per week in
               order, starting again from the first after the last, `occurrences` times.
    """

    kind: str
    start_date: date | None
    send_time: time | None
    every_days: int | None = None
    weekday: int | None = None
    occurrences: int | None = None


def schedule_of(plan) -> Schedule:
    """The Schedule of anything carrying the schedule fields under their campaign names (a Campaign, a form's input)."""
    return Schedule(
        kind=plan.schedule_kind,
        start_date=plan.start_date,
        send_time=plan.send_time,
        every_days=plan.every_days,
        weekday=plan.weekday,
        occurrences=plan.occurrences,
    )


@dataclass(frozen=True)
class PlannedSend:
    snippet_index: int
    send_at: datetime  # UTC


def _check(schedule: Schedule) -> None:
    if schedule.kind not in ("once", "drip", "recurring"):
        raise ScheduleError("schedule_kind", "Choose one-off, drip or recurring.")
    if schedule.start_date is None:
        raise ScheduleError("start_date", "Enter the date of the first send.")
    if schedule.send_time is None:
        raise ScheduleError("send_time", "Enter the time of day to send.")
    if schedule.kind == "drip" and not (schedule.every_days and 1 <= schedule.every_days <= 365):
        raise ScheduleError("every_days", "A drip sends every 1 to 365 days.")
    if schedule.kind == "recurring":
        if schedule.weekday is None or not 0 <= schedule.weekday <= 6:
            raise ScheduleError("weekday", "Choose the weekday to send on.")
        if not (schedule.occurrences and 1 <= schedule.occurrences <= MAX_OCCURRENCES):
            raise ScheduleError("occurrences", f"A recurring campaign sends 1 to {MAX_OCCURRENCES} times.")


def check_weekly_start(schedule: Schedule) -> None:
    """Refuse a weekly schedule whose start date is not its weekday: said plainly, rather than silently moved to
    the next such day (which is what planning a saved schedule does, so older campaigns still plan)."""
    if schedule.kind != "recurring" or schedule.start_date is None or schedule.weekday is None:
        return
    if schedule.start_date.weekday() == schedule.weekday:
        return
    start = schedule.start_date
    weekday = WEEKDAY_NAMES[schedule.weekday]
    raise ScheduleError(
        "start_date",
        f"{start:%B} {start.day}, {start.year} is a {WEEKDAY_NAMES[start.weekday()]}, but this campaign sends on "
        f"{weekday}s. Choose a {weekday} as the first send date, or change the weekday.",
    )


def local_send_dates(schedule: Schedule, snippet_count: int) -> list[tuple[int, date]]:
    """(snippet index, local date) pairs, in send order."""
    _check(schedule)
    start = schedule.start_date
    if schedule.kind == "once":
        return [(index, start) for index in range(snippet_count)]
    if schedule.kind == "drip":
        return [(index, start + timedelta(days=index * schedule.every_days)) for index in range(snippet_count)]
    first = start + timedelta(days=(schedule.weekday - start.weekday()) % 7)
    return [(week % snippet_count, first + timedelta(weeks=week)) for week in range(schedule.occurrences)]


def plan_send_times(schedule: Schedule, snippet_count: int, tz_name: str, now: datetime) -> list[PlannedSend]:
    """UTC send times for each snippet. Raises ScheduleError if there is nothing to send or it lies in the past."""
    if snippet_count == 0:
        raise ScheduleError("snippets", "Add at least one snippet before scheduling.")
    planned = [
        PlannedSend(index, local_to_utc(day, schedule.send_time, tz_name))
        for index, day in local_send_dates(schedule, snippet_count)
    ]
    if planned[0].send_at <= now:
        raise ScheduleError("start_date", "The first send time is in the past. Choose a time in the future.")
    return planned


def plan_entered_schedule(schedule: Schedule, snippet_count: int, tz_name: str, now: datetime) -> list[PlannedSend]:
    """plan_send_times for a schedule a person is entering (saving a campaign, or its live preview): the same
    checks, plus a weekly start date on its weekday. Raises ScheduleError naming the field to fix."""
    _check(schedule)
    check_weekly_start(schedule)
    return plan_send_times(schedule, snippet_count, tz_name, now)
