"""Email texts marketers edit in the UI (the welcome email), kept apart from the code's Jinja layouts."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import db
from service.models.base import UTCDateTime, utcnow


class EmailTemplate(db.Model):
    """The editable subject and body of one system email, and whether it is sent at all.

    `key` names the email ("welcome"). A missing row means the built-in defaults apply.
    """

    __tablename__ = "email_templates"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
