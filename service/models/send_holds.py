"""A brake on email sends: set when a send's complaint or hard-bounce rate passed its limit, lifted by an admin."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import db
from service.models.base import UTCDateTime, utcnow


class SendHold(db.Model):
    """While a hold has no acknowledgement, no email message is claimed (see service.worker.claims)."""

    __tablename__ = "send_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The sent message whose figures passed the limit (one hold per message at most).
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    held_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What the admin wrote: what they looked at and why sending may go on.
    acknowledgement: Mapped[str] = mapped_column(String(2000), default="")
