"""The worker's heartbeat, so the web pages can warn when no worker is running."""

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import WorkerHeartbeat

STALE_AFTER = timedelta(seconds=60)


def beat(session: Session, worker_id: str, now: datetime) -> None:
    row = session.get(WorkerHeartbeat, worker_id)
    if row is None:
        row = WorkerHeartbeat(worker_id=worker_id, hostname=socket.gethostname(), pid=os.getpid(), started_at=now)
        session.add(row)
    row.last_seen = now
    session.commit()


def last_seen(session: Session) -> datetime | None:
    return session.scalar(select(func.max(WorkerHeartbeat.last_seen)))


def worker_alive(session: Session, now: datetime) -> bool:
    seen = last_seen(session)
    return seen is not None and now - seen <= STALE_AFTER
