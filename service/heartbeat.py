"""The worker's heartbeat, so the web pages and `flask worker status` can warn when no worker is running.

Each worker process has its own row, written when it starts and at every poll interval after. A worker is alive
while it was seen within two poll intervals, and stale after that: it may be dead, or stuck. Once it has not been
seen for as long as its lease, any message it claimed has been taken over, so it is dead and its row is removed. A
worker that stops cleanly removes its own row.
"""

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from service.models import WorkerHeartbeat

DEFAULT_POLL_SECONDS = 3.0
DEFAULT_LEASE_SECONDS = 90.0


@dataclass(frozen=True)
class Liveness:
    """How long after its last beat a worker counts as alive, and after how long its row is forgotten."""

    alive_within: timedelta
    forget_after: timedelta

    @classmethod
    def from_config(cls, config: Mapping) -> "Liveness":
        poll = float(config.get("WORKER_POLL_SECONDS") or DEFAULT_POLL_SECONDS)
        lease = float(config.get("WORKER_LEASE_SECONDS") or DEFAULT_LEASE_SECONDS)
        return cls(alive_within=timedelta(seconds=2 * poll), forget_after=timedelta(seconds=max(lease, 2 * poll)))


def beat(session: Session, worker_id: str, now: datetime, liveness: Liveness) -> None:
    row = session.get(WorkerHeartbeat, worker_id)
    if row is None:
        row = WorkerHeartbeat(worker_id=worker_id, hostname=socket.gethostname(), pid=os.getpid(), started_at=now)
        session.add(row)
    row.last_seen = now
    forget_dead(session, now, liveness, keep=worker_id)
    session.commit()


def forget_dead(session: Session, now: datetime, liveness: Liveness, keep: str | None = None) -> None:
    """Remove the rows of workers unseen for longer than the lease (commits nothing by itself)."""
    dead = delete(WorkerHeartbeat).where(WorkerHeartbeat.last_seen < now - liveness.forget_after)
    session.execute(dead.where(WorkerHeartbeat.worker_id != keep) if keep else dead)


def farewell(session: Session, worker_id: str) -> None:
    """A worker stopping cleanly: it is no longer running, so it no longer counts."""
    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id))
    session.commit()


def last_seen(session: Session) -> datetime | None:
    return session.scalar(select(func.max(WorkerHeartbeat.last_seen)))


def worker_alive(session: Session, now: datetime, liveness: Liveness) -> bool:
    seen = last_seen(session)
    return seen is not None and now - seen <= liveness.alive_within


def known_workers(session: Session) -> list[WorkerHeartbeat]:
    """Every worker not yet forgotten, the most recently seen first."""
    return list(session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.last_seen.desc())))


def is_fresh(heartbeat: WorkerHeartbeat, now: datetime, liveness: Liveness) -> bool:
    return now - heartbeat.last_seen <= liveness.alive_within
