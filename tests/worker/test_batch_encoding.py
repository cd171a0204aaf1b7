"""A batch's request is built in a process beside the worker: the same request as the worker would build, the send
goes on when that process dies, and the process ends with a worker killed by SIGKILL."""

import json
import logging
import os
import pickle
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from service.channels.email.base import EmailSendError, OutgoingEmail, SendAbandoned
from service.channels.email.sendgrid import MailSendBody, SendGridEmailChannel
from service.extensions import db
from service.models import Message
from service.rendering.clinic import ClinicInfo
from service.rendering.email import UNSUBSCRIBE_URL
from service.worker import batch_encoding
from service.worker.batch_encoding import RecipientRow, SendRequests, encode
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.worker.email_settings import sendgrid_settings
from tests.worker.processes import add_subscribers, due_campaign

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_config(app_config, fake_sendgrid):
    return {**app_config, **sendgrid_settings(fake_sendgrid, EMAIL_BATCH_SIZE=4, EMAIL_ENCODING_PROCESS_FROM=0)}


def send_requests(app) -> SendRequests:
    email = OutgoingEmail(
        subject="Hello {{ first_name }}",
        html="<p>Hi</p>",
        text="Hi",
        headers={"List-Unsubscribe": f"<{UNSUBSCRIBE_URL}>"},
        custom_args={"message_id": "7"},
    )
    encoder = MailSendBody("news@clinic.example", "The clinic")
    return SendRequests(encoder, email, 7, "friend", ClinicInfo.from_config(app.config), app.config["SECRET_KEY"])


def rows(count: int) -> list[RecipientRow]:
    return [
        RecipientRow(f"public-{number}", f"reader{number}@example.org", "Ana" if number % 2 else "")
        for number in range(count)
    ]


def encoding_processes(worker_pid: int) -> set[int]:
    """The encoding processes of a worker: children of its forkserver, itself a child of the worker."""
    children: dict[int, set[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (OSError, ValueError):
            continue
        fields = stat.rsplit(")", 1)[1].split()
        children.setdefault(int(fields[1]), set()).add(int(entry.name))
    return {pid for server in children.get(worker_pid, set()) for pid in children.get(server, set())}


def test_the_encoding_process_builds_exactly_the_request_the_worker_would(app):
    requests = send_requests(app)
    batch_encoding.start(requests.encoder)
    pending = requests.start(rows(5), batch_id=41)
    assert pending.built is not None, "built in the encoding process"

    encoded = pending.encoded()

    assert encoded == encode(pending.request)
    body = json.loads(encoded)
    assert body["custom_args"]["batch_id"] == "41"
    assert [p["to"][0]["email"] for p in body["personalizations"]] == [f"reader{n}@example.org" for n in range(5)]
    links = {p["headers"]["List-Unsubscribe"] for p in body["personalizations"]}
    assert len(links) == 5, "each recipient's own signed link"


def test_a_refusal_raised_in_the_encoding_process_keeps_its_reason_and_flags(app):
    requests = send_requests(app)
    batch_encoding.start(requests.encoder)
    too_many = requests.start(rows(1001), batch_id=1)

    with pytest.raises(EmailSendError) as raised:
        too_many.encoded()

    assert raised.value.permanent and raised.value.refused
    assert "at most 1000 recipients" in str(raised.value)
    abandoned = pickle.loads(pickle.dumps(SendAbandoned("not now", retry_after=30)))
    assert (type(abandoned), abandoned.retry_after, abandoned.refused, str(abandoned)) == (
        SendAbandoned,
        30,
        True,
        "not now",
    )


class KillsTheEncodingProcessAfterOneBatch(SendGridEmailChannel):
    """The real channel; once its first request is back, the worker's encoding process is killed (as by the kernel's
    out-of-memory killer), with the next batch's request being built there."""

    def send_encoded(self, encoded, observer=None, handover=None):
        provider_id = super().send_encoded(encoded, observer, handover)
        for pid in encoding_processes(os.getpid()):
            os.kill(pid, signal.SIGKILL)
        return provider_id


def test_when_the_encoding_process_dies_mid_send_everyone_still_gets_it_once_and_the_next_send_starts_another(
    app, fake_sendgrid, seed_article_text, caplog
):
    addresses = add_subscribers(app, 10)
    message_id = due_campaign(app, seed_article_text).messages[0].id
    ctx = WorkerContext.from_config(app.config)
    ctx.email_channel.__class__ = KillsTheEncodingProcessAfterOneBatch

    with caplog.at_level(logging.WARNING, logger="service.worker.batch_encoding"):
        assert run_due_messages(db.session, ctx) == 1

    assert "the process that builds batch requests failed" in caplog.text
    received = Counter(fake_sendgrid.recipients())
    assert sorted(received) == sorted(addresses) and set(received.values()) == {1}
    assert [mail.personalization_count for mail in fake_sendgrid.requests] == [4, 4, 2]
    assert db.session.get(Message, message_id).status == "sent"
    assert not encoding_processes(os.getpid())
    batch_encoding.start(ctx.email_channel.batch_encoder())
    assert len(encoding_processes(os.getpid())) == 1, "the next large send starts a new one"


def test_a_small_send_builds_its_requests_in_the_worker(app, fake_sendgrid, seed_article_text, caplog):
    addresses = add_subscribers(app, 10)
    due_campaign(app, seed_article_text)
    ctx = WorkerContext.from_config({**app.config, "EMAIL_ENCODING_PROCESS_FROM": 11})
    batch_encoding.start(ctx.email_channel.batch_encoder())
    for pid in encoding_processes(os.getpid()):
        os.kill(pid, signal.SIGKILL)  # a send that used the process would find it dead, and say so

    with caplog.at_level(logging.WARNING, logger="service.worker.batch_encoding"):
        assert run_due_messages(db.session, ctx) == 1

    assert "the process that builds batch requests failed" not in caplog.text
    assert sorted(fake_sendgrid.recipients()) == sorted(addresses)
    batch_encoding.start(ctx.email_channel.batch_encoder())
    assert len(encoding_processes(os.getpid())) == 1, "a dead process is replaced when a large send starts it"


WORKER_THAT_WAITS = """
import sys, time
from service.channels.email.sendgrid import MailSendBody, SendGridEmailChannel
from service.worker import batch_encoding
batch_encoding.start(MailSendBody("news@clinic.example", "The clinic"))
print("ready", flush=True)
time.sleep(60)
"""


def test_the_encoding_process_ends_when_its_worker_is_killed():
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER_THAT_WAITS], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert worker.stdout.readline().strip() == "ready"
        encoders = encoding_processes(worker.pid)
        assert len(encoders) == 1
        worker.kill()
        worker.wait(10)
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in encoders) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(Path(f"/proc/{pid}").exists() for pid in encoders), "no encoding process outlives its worker"
    finally:
        worker.kill()
        worker.stdout.close()
