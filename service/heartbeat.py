"""The worker's heartbeat, so the web pages and `flask worker status` can warn when no worker is running.

Each worker process has its own row, written when it starts and every few seconds after. A worker that stops
cleanly removes its row; rows of workers that died are kept for a day (so `worker status` can show them) and then
forgotten.
"""

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.models import WorkerHeartbeat

STALE_AFTER = timedelta(seconds=60)
FORGET_AFTER = timedelta(days=1)


def beat(session: Session, worker_id: str, now: datetime) -> None:
    row = session.get(WorkerHeartbeat, worker_id)
    if row is None:
        row = WorkerHeartbeat(worker_id=worker_id, hostname=socket.gethostname(), pid=os.getpid(), started_at=now)
        session.add(row)
    row.last_seen = now
    session.execute(
        delete(WorkerHeartbeat).where(
            WorkerHeartbeat.last_seen < now - FORGET_AFTER, WorkerHeartbeat.worker_id != worker_id
        )
    )
    session.commit()


def farewell(session: Session, worker_id: str) -> None:
    """A worker stopping cleanly: it is no longer running, so it no longer counts."""
    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id))
    session.commit()


def last_seen(session: Session) -> datetime | None:
    return session.scalar(select(func.max(WorkerHeartbeat.last_seen)))


def worker_alive(session: Session, now: datetime) -> bool:
    seen = last_seen(session)
    return seen is not None and now - seen <= STALE_AFTER


def known_workers(session: Session) -> list[WorkerHeartbeat]:
    """Every worker seen in the last day, the most recently seen first."""
    return list(session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.last_seen.desc())))


def is_fresh(heartbeat: WorkerHeartbeat, now: datetime) -> bool:
    return now - heartbeat.last_seen <= STALE_AFTER
