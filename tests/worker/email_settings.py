"""Settings for tests that send email through the real SendGrid client to the fake SendGrid server."""

import threading
import time

from service.worker.context import WorkerContext
from tests.fakes.sendgrid_server import FakeSendGrid

API_KEY = "SG.test-key"
REAL_LOOKING_ADDRESS = "7 Real Road, Scottsdale, AZ 85251"
# A timeout short enough for tests that make SendGrid miss it, long enough that a loaded CI machine's loopback
# never misses it unasked (at 0.3 s it once did, and the worker rightly cancelled and sent that batch again).
SHORT_TIMEOUT = 1.0
# How long the fake holds a request that should outlast SHORT_TIMEOUT.
PAST_THE_TIMEOUT = 1.6


def sendgrid_settings(fake: FakeSendGrid, **overrides) -> dict:
    """EMAIL_CHANNEL=sendgrid pointed at `fake`, with retries fast enough for a test."""
    return {
        "EMAIL_CHANNEL": "sendgrid",
        "SENDGRID_API_KEY": API_KEY,
        "SENDGRID_API_HOST": fake.url,
        "SENDGRID_TIMEOUT_SECONDS": 5,
        "SENDGRID_MAX_RETRIES": 2,
        "SENDGRID_BACKOFF_SECONDS": 0.01,
        "SENDGRID_MAX_BACKOFF_SECONDS": 0.05,
        "CLINIC_POSTAL_ADDRESS": REAL_LOOKING_ADDRESS,
        **overrides,
    }


def small_batches_short_timeout(fake: FakeSendGrid) -> dict:
    """Three recipients a batch and SHORT_TIMEOUT: for the tests of requests SendGrid answers too late or not at all."""
    return sendgrid_settings(fake, EMAIL_BATCH_SIZE=3, SENDGRID_TIMEOUT_SECONDS=SHORT_TIMEOUT)


def stop_after_calls(fake: FakeSendGrid, ctx: WorkerContext, calls: int) -> None:
    """Raise the worker's stop flag (as SIGTERM does) once the fake has answered `calls` requests."""

    def watch() -> None:
        deadline = time.monotonic() + 10
        while len(fake.calls) < calls and time.monotonic() < deadline:
            time.sleep(0.01)
        ctx.stopping.set()

    threading.Thread(target=watch, daemon=True).start()
