"""Building a batch's request in a process of its own, beside the worker.

A batch's request is pure computation: its recipients' signed links and values, and the channel's body (for
SendGrid, ~20 ms of JSON for 1,000 recipients). On the worker's request thread it held the interpreter's lock while
the send's main thread wrote the next batch, and each of that thread's database round trips then waited for the lock
before it could go on: the two threads took turns on one core, and a send of 100,000 took up to a fifth longer. Here it
runs on another core, and the worker's threads only wait for the database and SendGrid.

A batch's request starts being built as soon as its recipients are known, while its deliveries are written, so
it is usually ready by the time it may leave. Only a large send uses the process (EMAIL_ENCODING_PROCESS_FROM
recipients, 20,000 by default): it takes ~130 MB and two seconds to start, repaid only over many batches.

The process only computes: it opens no connection and sends nothing, so a worker killed meanwhile loses nothing by
it (the process ends with it). One process serves a worker process, started by its first large send and kept.
Should it die, the rest of that send builds its requests on the request thread, and the next send starts a new one.
"""

import logging
import multiprocessing
import os
import select
import signal
import threading
from collections import namedtuple
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from service.channels.email.base import BatchEncoder, OutgoingEmail, Recipient
from service.outgoing.email import recipients_for, with_batch_id
from service.rendering.clinic import ClinicInfo

log = logging.getLogger(__name__)
# What a send does once the encoding process failed it.
_ON_THE_WORKER = "the worker builds the rest of this send's requests itself"

# The audience row's fields a recipient is made of (plain values: a database row does not cross processes cheaply).
RecipientRow = namedtuple("RecipientRow", "public_id email first_name")


@dataclass(frozen=True)
class SendRequests:
    """What the batch requests of one send share. `encoder`: the channel's (None when its send_batch builds them)."""

    encoder: BatchEncoder | None
    email: OutgoingEmail
    message_id: int
    first_name: str  # for recipients who gave none
    clinic: ClinicInfo
    secret_key: str

    def start(self, rows: list, batch_id: int) -> "PendingRequest":
        """A batch's request, its building started in the encoding process (when the channel has an encoder)."""
        request = BatchRequest(self, [RecipientRow(row.public_id, row.email, row.first_name) for row in rows], batch_id)
        return PendingRequest(request, _submit(encode, request) if self.encoder is not None else None)


@dataclass(frozen=True)
class BatchRequest:
    """What one batch's request is made of, as plain values."""

    send: SendRequests
    rows: list[RecipientRow]
    batch_id: int

    def batch_email(self) -> OutgoingEmail:
        return with_batch_id(self.send.email, self.batch_id)

    def recipients(self) -> list[Recipient]:
        """Each recipient's values, their unsubscribe links naming the message."""
        send = self.send
        return recipients_for(self.rows, send.clinic, send.secret_key, send.first_name, message_id=send.message_id)


@dataclass(frozen=True)
class PendingRequest:
    request: BatchRequest
    built: Future | None  # None: built on the request thread

    @property
    def encoder(self) -> BatchEncoder | None:
        return self.request.send.encoder

    def encoded(self) -> str:
        """The channel's request for the batch (built on this thread if the encoding process could not)."""
        if self.built is not None:
            try:
                return self.built.result()
            except BrokenProcessPool:
                _discard(f"it ended while building a batch's request; {_ON_THE_WORKER}")
        return encode(self.request)


def encode(request: BatchRequest) -> str:
    return request.send.encoder.encode(request.batch_email(), request.recipients())


def start(encoder: BatchEncoder) -> None:
    """Start the encoding process, ready for `encoder`, unless it runs already (it takes seconds, so a send starts it
    before it writes any batch). One found dead is replaced; if the new one fails too, requests are built on the
    request thread."""
    for _ in range(2):
        try:
            _running_pool().submit(_ready, encoder).result()
            return
        except (BrokenProcessPool, OSError) as error:
            _discard(f"it could not start ({error})")
    log.warning("the worker builds this send's requests itself")


def _running_pool() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            # Forked from a fresh server process, not from the worker: a fork of the worker would inherit its
            # database connections and threads mid-use.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])
            _pool = ProcessPoolExecutor(
                max_workers=1, mp_context=context, initializer=_serve_worker, initargs=(os.getpid(),)
            )
        return _pool


def _ready(encoder: BatchEncoder) -> None:
    """Nothing: the encoder's module was imported to unpickle it."""


_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _submit(function, *arguments) -> Future | None:
    """`function(*arguments)` in the encoding process; None when there is none (not started, or it failed)."""
    with _pool_lock:
        if _pool is None:
            return None
        try:
            return _pool.submit(function, *arguments)
        except (BrokenProcessPool, OSError) as error:
            problem = f"it could not take the batch ({error}); {_ON_THE_WORKER}"
    _discard(problem)
    return None


def _discard(problem: str) -> None:
    """Forget the encoding process (the next send starts a new one)."""
    global _pool
    log.warning("the process that builds batch requests failed: %s", problem)
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def _serve_worker(worker_pid: int) -> None:
    """Set up the encoding process: it ends with its worker, and leaves stopping to it."""
    # The process's own pipe would not tell it: it holds both ends of its queue. Nor would its parent's end, the
    # forkserver's: that server lives as long as the processes it made.
    threading.Thread(target=_end_with, args=(worker_pid,), name="end-with-the-worker", daemon=True).start()
    # A stop is the worker's to handle (it finishes the batch in hand, whose request may still be built here); a
    # Ctrl-C in a terminal reaches the whole process group.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _end_with(worker_pid: int) -> None:
    """End this process once the worker has ended (killed or not)."""
    try:
        exited = os.pidfd_open(worker_pid)
    except ProcessLookupError:
        os._exit(0)
    select.select([exited], [], [])
    os._exit(0)
