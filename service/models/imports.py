"""Subscriber CSV imports too large to check or import while a person waits: the worker runs them."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import db
from service.models.base import UTCDateTime, utcnow

# checking: the worker is to check (or is checking) the file; checked: its report waits for a person;
# importing: confirmed, the worker is to import (or is importing) it; imported, failed: finished.
IMPORT_JOB_STATUSES = ("checking", "checked", "importing", "imported", "failed")


class ImportJob(db.Model):
    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The random id naming the upload's files (service.subscribers.uploads) and the job's page.
    upload_id: Mapped[str] = mapped_column(String(22), unique=True)
    filename: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="checking")
    # Which worker has the job in hand (None: waiting for one).
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    bytes_total: Mapped[int] = mapped_column(default=0)
    bytes_done: Mapped[int] = mapped_column(default=0)
    # The check's (then the import's) report as JSON, and a failure's reason.
    report: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(String(500))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
