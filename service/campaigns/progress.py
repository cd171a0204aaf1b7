"""How far a campaign's current send has got, for the progress bar on its page."""

from dataclasses import dataclass, field

from service.models import Campaign, Message

NOT_STARTED = ("planned", "cancelled", "missed")


@dataclass(frozen=True)
class MessageProgress:
    id: int
    channel: str
    status: str
    sent: int
    total: int


@dataclass(frozen=True)
class Progress:
    """Sums over the messages of the current send time (an email and a post usually go out together)."""

    status: str
    sent: int = 0
    total: int = 0
    messages: list[MessageProgress] = field(default_factory=list)


def campaign_progress(campaign: Campaign) -> Progress:
    """The send in progress, or else the last one that started; nothing when no message has started yet.

    Totals are fixed when a message is first claimed (the audience size then, or the thread's part count).
    """
    started = [m for m in campaign.messages if m.status not in NOT_STARTED]
    if not started:
        return Progress(status=campaign.status)
    sending = [m for m in started if m.status == "sending"]
    current_at = min(m.send_at for m in sending) if sending else max(m.send_at for m in started)
    current = [m for m in campaign.messages if m.send_at == current_at and m.status != "cancelled"]
    parts = [_message_progress(m) for m in current]
    return Progress(
        status=campaign.status,
        sent=sum(p.sent for p in parts),
        total=sum(p.total for p in parts),
        messages=parts,
    )


def _message_progress(message: Message) -> MessageProgress:
    total = message.total_count if message.total_count is not None else message.sent_count
    return MessageProgress(message.id, message.channel, message.status, message.sent_count, max(total, 0))
