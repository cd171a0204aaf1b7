"""Deliverability guardrails: a brake before the list is burned.

Gmail and Yahoo require bulk senders to keep spam complaints under 0.3%. After each send (as its events arrive) its
complaint rate (complaints / delivered) and hard-bounce rate (hard bounces / recipients) are compared with the
clinic's limits: above the warning rate, home and the campaign say so; above a hold limit, every email message not
yet sent is held (the worker claims none, see service.worker.claims) until an admin acknowledges in writing. Held
sends then resume where they stopped (their audience cursor is kept). Both the hold and its release are audit-logged.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import audit
from service.campaigns.report import EmailFigures, campaign_report, figures_by_message
from service.models import Campaign, Message, SendHold, User
from service.models.statuses import MessageStatus

ACKNOWLEDGEMENT_MIN_LENGTH = 20
ACKNOWLEDGEMENT_MAX_LENGTH = 2000


class AcknowledgementError(ValueError):
    """The acknowledgement cannot be taken; the message says why (shown beside the field)."""


@dataclass(frozen=True)
class Thresholds:
    complaint_warning: float = 0.001
    complaint_hold: float = 0.003
    hard_bounce_hold: float = 0.05
    dormant_list_days: int = 182

    @classmethod
    def from_config(cls, config) -> "Thresholds":
        return cls(
            complaint_warning=float(config.get("COMPLAINT_WARNING_RATE", cls.complaint_warning)),
            complaint_hold=float(config.get("COMPLAINT_HOLD_RATE", cls.complaint_hold)),
            hard_bounce_hold=float(config.get("HARD_BOUNCE_HOLD_RATE", cls.hard_bounce_hold)),
            dormant_list_days=int(config.get("DORMANT_LIST_DAYS", cls.dormant_list_days)),
        )


def hold_reason(figures: EmailFigures, thresholds: Thresholds) -> str | None:
    """Why these figures hold the next sends, or None."""
    reasons = []
    if figures.complaint_rate > thresholds.complaint_hold:
        reasons.append(
            f"spam complaints at {figures.complaint_rate:.2%} of delivered emails "
            f"({figures.complaints} of {figures.delivered}), above the {thresholds.complaint_hold:.1%} limit"
        )
    if figures.hard_bounce_rate > thresholds.hard_bounce_hold:
        reasons.append(
            f"hard bounces at {figures.hard_bounce_rate:.2%} of recipients "
            f"({figures.hard_bounces} of {figures.recipients}), above the {thresholds.hard_bounce_hold:.0%} limit"
        )
    return "; ".join(reasons) or None


def complaint_warning(figures: EmailFigures, thresholds: Thresholds) -> str | None:
    if figures.complaint_rate > thresholds.complaint_warning:
        return (
            f"Spam complaints at {figures.complaint_rate:.2%} of delivered emails: above "
            f"{thresholds.complaint_warning:.1%}. Gmail and Yahoo start filtering bulk senders at 0.3%."
        )
    return None


def review_sent_messages(
    session: Session, message_ids: set[int], thresholds: Thresholds, now: datetime
) -> list[SendHold]:
    """Hold the next email sends for each sent message in `message_ids` whose rates passed a hold limit (once per
    message; audit-logged). Returns the holds made now. Commits nothing."""
    messages = session.scalars(
        select(Message).where(
            Message.id.in_(message_ids), Message.channel == "email", Message.status == MessageStatus.SENT
        )
    ).all()
    figures = figures_by_message(session, messages)
    held = set(session.scalars(select(SendHold.message_id).where(SendHold.message_id.in_(message_ids))))
    holds = []
    for message in messages:
        reason = hold_reason(figures[message.id], thresholds)
        if reason is None or message.id in held:
            continue
        try:
            with session.begin_nested():
                hold = SendHold(message_id=message.id, reason=reason, held_at=now)
                session.add(hold)
        except IntegrityError:
            continue  # a parallel webhook request held the sends for this message first
        audit.record(session, "email sends held", campaign=message.campaign, detail=f"message {message.id}: {reason}")
        holds.append(hold)
    return holds


def active_holds(session: Session) -> list[SendHold]:
    return list(session.scalars(select(SendHold).where(SendHold.acknowledged_at.is_(None)).order_by(SendHold.id)))


def acknowledge_holds(session: Session, admin: User, text: str, now: datetime) -> int:
    """An admin releases every active hold, saying in writing what they checked. Returns how many were released.

    Raises AcknowledgementError for someone who is not an admin or a statement too short to say anything."""
    if admin.role != "admin":
        raise AcknowledgementError("Only an admin can release held sends.")
    text = (text or "").strip()
    if len(text) < ACKNOWLEDGEMENT_MIN_LENGTH:
        raise AcknowledgementError(
            f"Say what you checked and why sending may go on (at least {ACKNOWLEDGEMENT_MIN_LENGTH} characters)."
        )
    if len(text) > ACKNOWLEDGEMENT_MAX_LENGTH:
        raise AcknowledgementError(f"At most {ACKNOWLEDGEMENT_MAX_LENGTH} characters.")
    holds = active_holds(session)
    for hold in holds:
        hold.acknowledged_at, hold.acknowledged_by_id, hold.acknowledgement = now, admin.id, text
        message = session.get(Message, hold.message_id) if hold.message_id else None
        audit.record(
            session,
            "email sends released",
            actor=admin,
            campaign=message.campaign if message else None,
            detail=f"hold {hold.id} ({hold.reason}): {text}",
        )
    return len(holds)


def dormant_list_warning(session: Session, thresholds: Thresholds, now: datetime) -> str | None:
    """A warning when the list has been mailed before but not for `dormant_list_days` (re-permission advice)."""
    last = session.scalar(
        select(func.max(Message.finished_at)).where(Message.channel == "email", Message.status == MessageStatus.SENT)
    )
    if last is None or now - last < timedelta(days=thresholds.dormant_list_days):
        return None
    return (
        f"The list has not been mailed since {last:%B %Y}. Addresses go stale and complaints rise after six months "
        "of silence: consider a re-permission email first, asking subscribers to confirm they still want to hear "
        "from the clinic."
    )


def campaign_warnings(session: Session, campaign: Campaign, thresholds: Thresholds, now: datetime) -> list[str]:
    """What the campaign page warns of: a sent message's complaints above the warning rate, and, before an email
    still to go out, a list not mailed for months."""
    warnings = []
    for row in campaign_report(session, campaign).messages:
        if row.status == "sent" and (warning := complaint_warning(row.figures, thresholds)):
            warnings.append(f"{row.heading}: {warning}")
    waiting = any(m.channel == "email" and m.status in ("planned", "paused") for m in campaign.messages)
    if waiting and (dormant := dormant_list_warning(session, thresholds, now)):
        warnings.append(dormant)
    return warnings
