"""What the calendar component draws: each planned send of a campaign (its email and post at one instant) between
two local dates, in the clinic's wall-clock time; and moving a scheduled send to another day or time.

A campaign not yet scheduled (a draft, in review, approved) has no messages: its sends are worked out from the
schedule as entered, shown as planned but not approved, and cannot be moved (its schedule form says when).
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, joinedload

from service import audit
from service.campaigns.schedule import ScheduleError, local_send_dates, schedule_of
from service.models import Campaign, Delivery, Message, User
from service.models.statuses import CampaignStatus, MessageStatus
from service.timezones import local_to_utc, utc_to_local

S = CampaignStatus
# Sends of these campaigns are real planned messages; a person may move them (no new review: the content is the
# one approved, only its time changes, and the move is audit-logged).
MOVABLE_STATUSES = frozenset({S.SCHEDULED, S.PAUSED})
SCHEDULED_STATUSES = MOVABLE_STATUSES | {S.SENDING}
# Not scheduled yet: shown where their schedule would put them.
UNSCHEDULED_STATUSES = frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED})


class MoveError(ValueError):
    """The send cannot be moved; the message says why, for a person."""


@dataclass(frozen=True)
class CalendarSend:
    campaign_id: int
    campaign_name: str
    campaign_status: str
    local_start: datetime  # naive: the clinic's wall-clock time
    send_at: datetime | None  # UTC instant of the planned messages; None for a send worked out from a schedule
    channels: tuple[str, ...]

    @property
    def approved(self) -> bool:
        return self.campaign_status not in (S.DRAFT, S.IN_REVIEW)

    @property
    def movable(self) -> bool:
        return self.send_at is not None and self.campaign_status in MOVABLE_STATUSES


def calendar_sends(session: Session, first_day: date, end_day: date, tz_name: str) -> list[CalendarSend]:
    """Every send from local `first_day` (inclusive) to `end_day` (exclusive), in time order."""
    start = local_to_utc(first_day, time(0, 0), tz_name)
    end = local_to_utc(end_day, time(0, 0), tz_name)
    messages = session.scalars(
        select(Message)
        .join(Campaign, Campaign.id == Message.campaign_id)
        .options(joinedload(Message.campaign))
        .where(
            Campaign.status.in_(SCHEDULED_STATUSES),
            Message.status == MessageStatus.PLANNED,
            Message.send_at >= start,
            Message.send_at < end,
        )
        .order_by(Message.send_at, Message.id)
    ).all()
    grouped: dict[tuple[int, datetime], list[Message]] = {}
    for message in messages:
        grouped.setdefault((message.campaign_id, message.send_at), []).append(message)
    sends = [
        CalendarSend(
            campaign_id=campaign_id,
            campaign_name=group[0].campaign.name,
            campaign_status=group[0].campaign.status,
            local_start=utc_to_local(send_at, tz_name).replace(tzinfo=None),
            send_at=send_at,
            channels=tuple(sorted({message.channel for message in group})),
        )
        for (campaign_id, send_at), group in grouped.items()
    ]
    sends.extend(_unscheduled_sends(session, first_day, end_day, tz_name))
    return sorted(sends, key=lambda send: (send.local_start, send.campaign_id))


def _unscheduled_sends(session: Session, first_day: date, end_day: date, tz_name: str) -> list[CalendarSend]:
    campaigns = session.scalars(
        select(Campaign).where(
            Campaign.status.in_(UNSCHEDULED_STATUSES),
            Campaign.start_date.is_not(None),
            Campaign.send_time.is_not(None),
            Campaign.start_date < end_day,
        )
    ).all()
    sends = []
    for campaign in campaigns:
        try:
            days = local_send_dates(schedule_of(campaign), len(campaign.issues) or 1)
        except ScheduleError:
            continue  # an unfinished schedule has nothing to show yet
        for day in sorted({day for _, day in days}):
            if first_day <= day < end_day:
                # Through UTC and back, so a time skipped by a clock change shows where it will really send.
                local = utc_to_local(local_to_utc(day, campaign.send_time, tz_name), tz_name).replace(tzinfo=None)
                sends.append(
                    CalendarSend(campaign.id, campaign.name, campaign.status, local, None, tuple(campaign.channels))
                )
    return sends


def move_send(
    session: Session,
    campaign: Campaign,
    send_at: datetime,
    new_local: datetime,
    *,
    tz_name: str,
    actor: User,
    now: datetime,
) -> datetime:
    """Move the campaign's planned messages at `send_at` (UTC) to the clinic wall-clock time `new_local`; returns
    the new UTC instant. Never into the past, never a message that has started (a worker may claim it meanwhile:
    the UPDATE only touches messages still planned, so one of the two wins)."""
    if campaign.status not in MOVABLE_STATUSES:
        raise MoveError("Only a scheduled or paused campaign's sends can be moved; change the schedule instead.")
    new_at = local_to_utc(new_local.date(), new_local.time().replace(second=0, microsecond=0), tz_name)
    if new_at <= now:
        raise MoveError("A send cannot be moved into the past. Choose a later day or time.")
    has_deliveries = exists().where(Delivery.message_id == Message.id)
    moved = session.execute(
        update(Message)
        .where(
            Message.campaign_id == campaign.id,
            Message.send_at == send_at,
            Message.status == MessageStatus.PLANNED,
            ~has_deliveries,
        )
        .values(send_at=new_at)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        raise MoveError("That send is no longer planned (it may be going out now); reload to see the calendar.")
    session.expire(campaign, ["messages"])
    before = utc_to_local(send_at, tz_name).strftime("%Y-%m-%d %H:%M %Z")
    after = utc_to_local(new_at, tz_name).strftime("%Y-%m-%d %H:%M %Z")
    audit.record(session, "moved a send", actor=actor, campaign=campaign, detail=f"{before} → {after}")
    return new_at
