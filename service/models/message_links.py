"""The links of a sent email message, with their click totals (click counting, off unless an admin turns it on)."""

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import db


class MessageLink(db.Model):
    """One link of one message. Only a total: nothing about who clicked, nor when."""

    __tablename__ = "message_links"
    __table_args__ = (UniqueConstraint("message_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    clicks: Mapped[int] = mapped_column(default=0)
