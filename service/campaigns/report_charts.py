"""The numbers behind a campaign report's charts: events hour by hour over the 48 hours after the send, and the
funnel from recipients to what they did. Plain values, so the page can draw them and print them as a table."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.campaigns.report import CampaignReport
from service.models import Campaign, EmailEvent, Message

WINDOW_HOURS = 48
# The series drawn per hour: the label shown, and the events each counts.
HOURLY_SERIES = {
    "Delivered": ("delivered",),
    "Bounced": ("bounce", "dropped"),
    "Spam complaints": ("spamreport",),
    "Unsubscribes": ("unsubscribe", "group_unsubscribe"),
}


@dataclass(frozen=True)
class HourlyEvents:
    start: datetime | None  # the first email's start (UTC); None before anything was sent
    hours: list[int]  # 0 .. 47: hours after the start
    series: dict[str, list[int]]  # label -> count per hour

    def rows(self) -> list[tuple[int, list[int]]]:
        return [(hour, [values[index] for values in self.series.values()]) for index, hour in enumerate(self.hours)]


def hourly_events(session: Session, campaign: Campaign) -> HourlyEvents:
    start = session.scalar(
        select(Message.started_at)
        .where(Message.campaign_id == campaign.id, Message.channel == "email", Message.started_at.is_not(None))
        .order_by(Message.started_at)
        .limit(1)
    )
    hours = list(range(WINDOW_HOURS))
    series = {label: [0] * WINDOW_HOURS for label in HOURLY_SERIES}
    if start is None:
        return HourlyEvents(None, hours, series)
    label_of = {event: label for label, events in HOURLY_SERIES.items() for event in events}
    rows = session.execute(
        select(EmailEvent.event, EmailEvent.occurred_at)
        .join(Message, Message.id == EmailEvent.message_id)
        .where(
            Message.campaign_id == campaign.id,
            EmailEvent.event.in_(label_of),
            EmailEvent.occurred_at >= start,
            EmailEvent.occurred_at < start + timedelta(hours=WINDOW_HOURS),
        )
    ).all()
    for event, occurred_at in rows:
        series[label_of[event]][int((occurred_at - start).total_seconds() // 3600)] += 1
    return HourlyEvents(start, hours, series)


def funnel(report: CampaignReport, clicks: int | None) -> list[tuple[str, int]]:
    """Recipients, then delivered, then what people did. Clicks only when click counting is on (None: off)."""
    totals = report.totals
    steps = [("Recipients", totals.recipients), ("Delivered", totals.delivered)]
    if clicks is not None:
        steps.append(("Clicked", clicks))
    return [*steps, ("Unsubscribed", totals.unsubscribes), ("Complained", totals.complaints)]
