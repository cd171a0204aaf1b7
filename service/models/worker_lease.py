"""Named leases that only one worker may hold at a time (on SQLite, the right to dispatch due messages)."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import db
from service.models.base import UTCDateTime


class WorkerLease(db.Model):
    __tablename__ = "worker_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    # None, or a lease that ran out, means any worker may take it.
    holder: Mapped[str | None] = mapped_column(String(100))
    until: Mapped[datetime] = mapped_column(UTCDateTime)
