"""CSV imports too large to check or import while a person waits (a request would outlast gunicorn's timeout):
the web side saves the upload and writes a job row; the worker claims the job, checks the file (recording how far
it got, for the page's progress bar), and after a person confirms the report, imports it. The database is the only
channel between them, as for everything else the worker does.

The upload's files live in SUBSCRIBER_IMPORT_DIR, which the web and worker processes must share.
"""

import dataclasses
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.models import ImportJob, User
from service.subscribers import uploads
from service.subscribers.csv_import import ImportContext, ImportReport, RowProblem, check_file, import_checked

log = logging.getLogger(__name__)

WAITING_FOR_WORKER = ("checking", "importing")
# How often the check writes its progress: rows are cheap, commits are not.
PROGRESS_EVERY_LINES = 5000


def queue_check(session: Session, upload_id: str, filename: str, folder: str, actor: User | None) -> ImportJob:
    size = (Path(folder) / f"{upload_id}.csv").stat().st_size
    job = ImportJob(
        upload_id=upload_id, filename=filename[:200], status="checking", bytes_total=size, actor_id=_id(actor)
    )
    session.add(job)
    session.flush()
    return job


def queue_import(session: Session, job: ImportJob, now: datetime) -> bool:
    """Confirm a checked, clean job: the worker imports it next. False if it is not waiting for that."""
    if job.status != "checked" or not report_of(job).ok:
        return False
    job.status, job.claimed_by, job.bytes_done, job.updated_at = "importing", None, 0, now
    return True


def job_for(session: Session, upload_id: str) -> ImportJob | None:
    return session.scalar(select(ImportJob).where(ImportJob.upload_id == upload_id))


def report_of(job: ImportJob) -> ImportReport:
    data = json.loads(job.report or "{}")
    report = ImportReport(**{key: value for key, value in data.items() if key not in ("errors", "skipped")})
    report.errors = [RowProblem(**problem) for problem in data.get("errors", [])]
    report.skipped = [RowProblem(**problem) for problem in data.get("skipped", [])]
    return report


def _id(actor: User | None) -> int | None:
    return actor.id if actor is not None else None


def _claim(session: Session, worker_id: str) -> ImportJob | None:
    """One waiting job, claimed by a conditional UPDATE (only one worker's UPDATE matches the unclaimed row)."""
    candidate = session.scalar(
        select(ImportJob.id)
        .where(ImportJob.status.in_(WAITING_FOR_WORKER), ImportJob.claimed_by.is_(None))
        .order_by(ImportJob.id)
        .limit(1)
    )
    if candidate is None:
        return None
    claimed = session.execute(
        update(ImportJob).where(ImportJob.id == candidate, ImportJob.claimed_by.is_(None)).values(claimed_by=worker_id)
    ).rowcount
    session.commit()
    return session.get(ImportJob, candidate) if claimed == 1 else None


class _Progress:
    """The upload as the check reads it, line by line, writing how far it got to the job now and then."""

    def __init__(self, stream: TextIO, session: Session, job: ImportJob):
        self.stream, self.session, self.job, self.lines, self.done = stream, session, job, 0, 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self.stream)
        self.lines += 1
        self.done += len(line.encode("utf-8"))
        if self.lines % PROGRESS_EVERY_LINES == 0:
            self.job.bytes_done = min(self.done, self.job.bytes_total)
            self.session.commit()  # the check only reads the list: committing mid-way changes nothing it sees
        return line


def run_next_import(session: Session, config: Mapping, worker_id: str, now: datetime) -> bool:
    """Claim and run one waiting job (check or import). False when none waits."""
    job = _claim(session, worker_id)
    if job is None:
        return False
    folder = config["SUBSCRIBER_IMPORT_DIR"]
    ctx = ImportContext.from_config(config, now)
    try:
        if job.status == "checking":
            _check(session, job, folder, ctx)
        else:
            _import(session, job, folder, ctx)
    except uploads.UploadNotFound:
        session.rollback()
        _fail(session, job, folder, "The uploaded file is gone (it waited over an hour). Upload it again.")
    except IntegrityError:
        session.rollback()
        _fail(session, job, folder, "The list changed while importing, so nothing was imported. Upload it again.")
    except Exception:
        session.rollback()
        log.exception("subscriber import job #%s failed", job.id)
        _fail(session, job, folder, "The import failed; nothing was imported. Upload the file again.")
    return True


def _check(session: Session, job: ImportJob, folder: str, ctx: ImportContext) -> None:
    with (
        uploads.open_upload(folder, job.upload_id) as stream,
        uploads.open_checked(folder, job.upload_id, "w") as keep,
    ):
        report = check_file(session, _Progress(stream, session, job), ctx, keep=keep)
    uploads.discard_original(folder, job.upload_id)
    if not report.ok:
        uploads.discard_upload(folder, job.upload_id)
    _finish(session, job, "checked", report)


def _import(session: Session, job: ImportJob, folder: str, ctx: ImportContext) -> None:
    actor = session.get(User, job.actor_id) if job.actor_id else None
    with uploads.open_checked(folder, job.upload_id) as kept:
        report = import_checked(session, kept, ctx, actor=actor)
    _finish(session, job, "imported", report)  # one commit: the rows and the job's end together
    uploads.discard_upload(folder, job.upload_id)
    log.info("subscriber import job #%s: %s", job.id, report.summary())


def _finish(session: Session, job: ImportJob, status: str, report: ImportReport) -> None:
    job.status, job.claimed_by, job.bytes_done = status, None, job.bytes_total
    job.report = json.dumps(dataclasses.asdict(report))
    session.commit()


def _fail(session: Session, job: ImportJob, folder: str, reason: str) -> None:
    session.execute(
        update(ImportJob).where(ImportJob.id == job.id).values(status="failed", claimed_by=None, error=reason)
    )
    session.commit()
    uploads.discard_upload(folder, job.upload_id)


def release_claims(session: Session, worker_id: str) -> None:
    """A stopping worker hands back the job it holds (the next worker starts it over; nothing was committed)."""
    session.execute(
        update(ImportJob)
        .where(ImportJob.claimed_by == worker_id, or_(*(ImportJob.status == s for s in WAITING_FOR_WORKER)))
        .values(claimed_by=None)
    )
    session.commit()
