"""The sending calendar: planned messages for the coming weeks, by local day, and missed ones awaiting a person."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from service.models import Campaign, Message
from service.models.statuses import CampaignStatus, MessageStatus
from service.timezones import local_time_note, local_to_utc, utc_to_local

CALENDAR_WEEKS = 6
# A paused campaign's messages still show (marked), since resuming it sends them at these times.
SHOWN_CAMPAIGN_STATUSES = (CampaignStatus.SCHEDULED, CampaignStatus.SENDING, CampaignStatus.PAUSED)


@dataclass(frozen=True)
class CalendarEntry:
    message: Message
    local_time: datetime
    overdue: bool
    note: str | None  # how the daylight-saving rule moved this send, if it did

    @property
    def campaign(self) -> Campaign:
        return self.message.campaign


@dataclass(frozen=True)
class CalendarDay:
    day: date
    entries: list[CalendarEntry]


def upcoming_sends(session: Session, now: datetime, tz_name: str, weeks: int = CALENDAR_WEEKS) -> list[CalendarDay]:
    """Planned messages from the start of today (local) to `weeks` weeks ahead, grouped by local day, in order."""
    today = utc_to_local(now, tz_name).date()
    start = local_to_utc(today, time(0, 0), tz_name)
    end = local_to_utc(today + timedelta(weeks=weeks), time(0, 0), tz_name)
    messages = session.scalars(
        select(Message)
        .join(Campaign, Campaign.id == Message.campaign_id)
        .options(joinedload(Message.campaign), joinedload(Message.issue), joinedload(Message.section))
        .where(
            Campaign.status.in_(SHOWN_CAMPAIGN_STATUSES),
            Message.status == MessageStatus.PLANNED,
            Message.send_at >= start,
            Message.send_at < end,
        )
        .order_by(Message.send_at, Message.id)
    ).all()
    days: dict[date, list[CalendarEntry]] = {}
    for message in messages:
        local = utc_to_local(message.send_at, tz_name)
        send_time = message.campaign.send_time
        note = local_time_note(local.date(), send_time, tz_name) if send_time else None
        days.setdefault(local.date(), []).append(CalendarEntry(message, local, message.send_at < now, note))
    return [CalendarDay(day, entries) for day, entries in days.items()]


def missed_messages(session: Session) -> list[Message]:
    """Messages the worker did not send because it was away too long; each needs a person to send or skip it."""
    return list(
        session.scalars(
            select(Message)
            .options(joinedload(Message.campaign), joinedload(Message.issue), joinedload(Message.section))
            .where(Message.status == "missed")
            .order_by(Message.send_at, Message.id)
        )
    )
