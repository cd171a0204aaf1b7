"""Clinic-local wall-clock times to UTC instants and back.

The rule for the two awkward cases in zones with daylight saving time, shown to marketers on the schedule form:
a local time that does not exist (skipped when clocks spring forward) moves forward by the gap, so 02:30 on the
spring-forward day becomes 03:30; a local time that happens twice (when clocks fall back) means the first one.
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

DST_RULE = (
    "In time zones with daylight saving time, a time skipped when clocks spring forward moves forward by the gap "
    "(02:30 becomes 03:30), and a time that happens twice when clocks fall back means the first one."
)


def local_to_utc(day: date, at: time, tz_name: str) -> datetime:
    zone = ZoneInfo(tz_name)
    local = datetime.combine(day, at, tzinfo=zone).replace(fold=0)
    # A nonexistent local time does not survive a round trip through UTC; fold=0 then gives the earlier offset,
    # which lands the instant after the gap: exactly "moved forward by the gap".
    return local.astimezone(UTC)


def utc_to_local(instant: datetime, tz_name: str) -> datetime:
    return instant.astimezone(ZoneInfo(tz_name))


def local_time_note(day: date, at: time, tz_name: str) -> str | None:
    """How DST_RULE applies to this local time on this day, for a person; None when the time is ordinary."""
    zone = ZoneInfo(tz_name)
    first = datetime.combine(day, at, tzinfo=zone).replace(fold=0)
    second = first.replace(fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    hhmm = at.strftime("%H:%M")
    when = day.strftime("%a %b %-d, %Y")
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != first.replace(tzinfo=None):
        moved = local_to_utc(day, at, tz_name).astimezone(zone)
        return f"{hhmm} does not exist on {when} (clocks spring forward); it sends at {moved.strftime('%H:%M %Z')}."
    return f"{hhmm} happens twice on {when} (clocks fall back); it sends at the first, {first.strftime('%H:%M %Z')}."
