"""Workers on two hosts: two network namespaces, one worker in each, one PostgreSQL. One host's link is cut during a
send: the other worker takes the message over once the lease has run out; the cut-off worker, when its link returns,
finds it lost the lease and sends nothing more. Every recipient gets the email exactly once.

Needs root (`ip netns`); skipped otherwise. PostgreSQL and the fake SendGrid listen on loopback, so a small TCP relay
on the host side of each veth pair forwards to them; the addresses used exist only on the test's own links, and every
namespace and link is removed at the end, also when the test fails.
"""

import os
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import func, select, text

from service.extensions import db
from service.models import Delivery, Message, SendBatch, Subscriber
from tests.app_config import base_config
from tests.worker.email_settings import sendgrid_settings
from tests.worker.processes import (
    REPO_ROOT,
    WORKER_COMMAND,
    WorkerPool,
    add_subscribers,
    app_sharing_its_database,
    due_campaign,
    read,
    wait_until,
    worker_env,
)

RECIPIENTS = 1500
BATCH_SIZE = 25
LEASE_SECONDS = 4
SUBNET = "10.213"  # 10.213.<n>.0/30 per namespace: host side .1, namespace side .2

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.geteuid() != 0 or shutil.which("ip") is None,
        reason="needs root and iproute2 (`ip netns`) to make network namespaces; run `make test` as root",
    ),
]


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@contextmanager
def namespace(number: int):
    """A network namespace joined to the host by a veth pair; yields (namespace name, host-side interface, host ip)."""
    tag = f"{os.getpid() % 10000}{number}"
    name, host_side, inside = f"tidings-{tag}", f"tdh{tag}", f"tdn{tag}"
    host_ip, inside_ip = f"{SUBNET}.{number}.1", f"{SUBNET}.{number}.2"
    try:
        ip("netns", "add", name)
        ip("link", "add", host_side, "type", "veth", "peer", "name", inside)
        ip("link", "set", inside, "netns", name)
        ip("addr", "add", f"{host_ip}/30", "dev", host_side)
        ip("link", "set", host_side, "up")
        ip("netns", "exec", name, "ip", "addr", "add", f"{inside_ip}/30", "dev", inside)
        ip("netns", "exec", name, "ip", "link", "set", inside, "up")
        ip("netns", "exec", name, "ip", "link", "set", "lo", "up")
        yield name, host_side, host_ip
    finally:
        subprocess.run(["ip", "link", "del", host_side], capture_output=True, timeout=10)
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


class Relay:
    """Forwards TCP connections made to (listen_host, an ephemeral port) to 127.0.0.1:target_port."""

    def __init__(self, listen_host: str, target_port: int):
        self.target_port = target_port
        self.server = socket.create_server((listen_host, 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.stopping = threading.Event()
        self.sockets: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                client, _ = self.server.accept()
            except (TimeoutError, OSError):
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            upstream.settimeout(None)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.server.close()
        for end in self.sockets:
            end.close()


def with_host(url: str, host: str, port: int) -> str:
    parts = urlsplit(url)
    user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{user}{host}:{port}"))


class NamespacedWorker:
    def __init__(self, name: str, env: dict, log_path: Path):
        self.log_path = log_path
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                ["ip", "netns", "exec", name, *WORKER_COMMAND],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def stop(self) -> int:
        self.process.terminate()
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(10)


@pytest.fixture
def shared_app(postgres_url, tmp_path):
    with app_sharing_its_database(base_config(tmp_path, postgres_url), fresh_schema=True) as app:
        yield app


def test_a_cut_off_host_loses_its_message_to_the_other_and_sends_nothing_more(
    shared_app, fake_sendgrid, seed_article_text, tmp_path
):
    addresses = add_subscribers(shared_app, RECIPIENTS)
    campaign = due_campaign(shared_app, seed_article_text)
    message_id = campaign.messages[0].id
    pg = urlsplit(shared_app.config["DATABASE_URL"])
    sendgrid_port = urlsplit(fake_sendgrid.url).port
    workers: list[NamespacedWorker] = []

    def logs() -> str:
        return "\n".join(f"--- {w.log_path.name}\n{w.output()}" for w in workers)

    def sent() -> int:
        return read(select(Message.sent_count).where(Message.id == message_id))

    with ExitStack() as stack:
        hosts = []
        for number in (1, 2):
            name, host_side, host_ip = stack.enter_context(namespace(number))
            pg_relay, sg_relay = Relay(host_ip, pg.port or 5432), Relay(host_ip, sendgrid_port)
            stack.callback(pg_relay.close)
            stack.callback(sg_relay.close)
            settings = sendgrid_settings(fake_sendgrid, SENDGRID_API_HOST=f"http://{host_ip}:{sg_relay.port}")
            settings.update(
                SENDGRID_TIMEOUT_SECONDS=1,
                SENDGRID_MAX_RETRIES=0,
                EMAIL_BATCH_SIZE=BATCH_SIZE,
                WORKER_LEASE_SECONDS=LEASE_SECONDS,
                WORKER_POLL_SECONDS=0.5,
            )
            env = worker_env(shared_app.config, **settings)
            # A connection whose host vanished mid-transaction must not hold its row locks for ever (production: the
            # same setting, or TCP keepalives).
            database_url = with_host(shared_app.config["DATABASE_URL"], host_ip, pg_relay.port)
            env["DATABASE_URL"] = f"{database_url}?options=-c%20idle_in_transaction_session_timeout%3D2000"
            hosts.append((name, host_side, env))
        stack.callback(lambda: [w.stop() for w in workers if w.process.poll() is None])

        workers.append(NamespacedWorker(hosts[0][0], hosts[0][2], tmp_path / "host-1.log"))
        wait_until(lambda: sent() >= 10 * BATCH_SIZE, timeout=60, what="host 1 to be sending")
        ip("link", "set", hosts[0][1], "down")
        cut_at = sent()
        workers.append(NamespacedWorker(hosts[1][0], hosts[1][2], tmp_path / "host-2.log"))
        wait_until(
            lambda: read(select(Message.status).where(Message.id == message_id)) in ("sent", "uncertain"),
            timeout=120,
            what=f"host 2 to take the message over and finish it\n{logs()}",
        )
        requests_before_return = len(fake_sendgrid.requests)
        ip("link", "set", hosts[0][1], "up")
        time.sleep(LEASE_SECONDS + 2)  # the cut-off worker wakes, tries its next step, and stops
        assert len(fake_sendgrid.requests) == requests_before_return, "the cut-off worker sent nothing more"
        for worker in workers:
            worker.stop()

    assert_exactly_once_or_flagged(fake_sendgrid, addresses, message_id)
    assert cut_at < RECIPIENTS, "the link was cut during the send"
    # It found out at its next step: its lease was gone, or its connection was (the server ended the transaction
    # it had open when the link went); either way it stopped touching the message.
    first = workers[0].output()
    assert f"message {message_id}: lost" in first or "worker job failed" in first, first
    assert f"sending message {message_id}" in workers[1].output(), workers[1].output()
    batches = dict(db.session.execute(select(SendBatch.status, func.count()).group_by(SendBatch.status)).all())
    db.session.rollback()
    print(f"cut at {cut_at} sent; batches by status {batches}")


def assert_exactly_once_or_flagged(fake_sendgrid, addresses: list[str], message_id: int) -> None:
    """Nobody got the email twice, and everybody either got it or is in a batch flagged for a person (a batch in
    the air when its worker vanished: issue 18's hand-over lets the system resolve those itself)."""
    received = Counter(fake_sendgrid.recipients())
    assert max(received.values()) == 1, "nobody got the email twice"
    flagged = set(
        db.session.scalars(
            select(Subscriber.email)
            .join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .where(Delivery.message_id == message_id, Delivery.status == "uncertain")
        )
    )
    deliveries = read(select(func.count()).select_from(Delivery).where(Delivery.message_id == message_id))
    db.session.rollback()
    assert set(received) | flagged == set(addresses), "nobody was silently skipped"
    assert deliveries == len(addresses), "one delivery per recipient in the ledger"
    print(f"received {len(received)}, flagged for a person {len(flagged)}")


def test_a_worker_whose_database_connection_is_killed_mid_batch_reconnects_and_the_ledger_stays_right(
    shared_app, fake_sendgrid, seed_article_text, tmp_path
):
    addresses = add_subscribers(shared_app, RECIPIENTS)
    campaign = due_campaign(shared_app, seed_article_text)
    message_id = campaign.messages[0].id
    settings = sendgrid_settings(fake_sendgrid, EMAIL_BATCH_SIZE=BATCH_SIZE, WORKER_LEASE_SECONDS=LEASE_SECONDS)
    with WorkerPool(tmp_path) as pool:
        worker = pool.start(worker_env(shared_app.config, **settings))
        wait_until(
            lambda: read(select(Message.sent_count).where(Message.id == message_id)) >= 10 * BATCH_SIZE,
            timeout=60,
            what="the worker to be sending",
            workers=pool,
        )
        killed = db.session.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        db.session.rollback()
        assert killed >= 1
        wait_until(
            lambda: read(select(Message.status).where(Message.id == message_id)) == "sent",
            timeout=120,
            what="the worker to reconnect and finish the send",
            workers=pool,
        )
        assert worker.stop() == 0, worker.output()
    assert_exactly_once_or_flagged(fake_sendgrid, addresses, message_id)
    sent = read(
        select(func.count()).select_from(Delivery).where(Delivery.message_id == message_id, Delivery.status == "sent")
    )
    assert read(select(Message.sent_count).where(Message.id == message_id)) == sent, "the count matches the ledger"
