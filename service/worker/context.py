"""What a worker needs to send: settings, channels, its own id and a clock (replaceable in tests)."""

import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from service.channels.email.base import EmailChannel
from service.channels.registry import email_channel_for, social_channel_for
from service.channels.social.base import SocialChannel
from service.rendering.clinic import ClinicInfo
from service.worker.claims import LEASE


def system_clock() -> datetime:
    return datetime.now(UTC)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class WorkerContext:
    config: Mapping
    email_channel: EmailChannel
    social_channel: SocialChannel
    worker_id: str = field(default_factory=new_worker_id)
    clock: Callable[[], datetime] = system_clock
    # Set on SIGTERM: send loops finish the batch in hand, hand the message back and return.
    stopping: threading.Event = field(default_factory=threading.Event)
    # How long this worker's claims last; it renews them after each batch or post (WORKER_LEASE_SECONDS).
    lease: timedelta = LEASE

    @property
    def clinic(self) -> ClinicInfo:
        return ClinicInfo.from_config(self.config)

    @classmethod
    def from_config(cls, config: Mapping, **overrides) -> "WorkerContext":
        stopping = overrides.pop("stopping", None) or threading.Event()
        lease = overrides.pop("lease", None) or _lease_from(config)
        # Half the lease: even with the last request's timeout on top, a batch ends before the lease would.
        give_up_after = lease.total_seconds() / 2
        return cls(
            config=config,
            lease=lease,
            email_channel=overrides.pop("email_channel", None) or email_channel_for(config, stopping, give_up_after),
            social_channel=overrides.pop("social_channel", None) or social_channel_for(config),
            stopping=stopping,
            **overrides,
        )


def _lease_from(config: Mapping) -> timedelta:
    seconds = config.get("WORKER_LEASE_SECONDS")
    return timedelta(seconds=float(seconds)) if seconds else LEASE
