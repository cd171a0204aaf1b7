"""Benchmark: SendGrid's signed event webhook under a storm, through gunicorn as the Procfile runs it, on PostgreSQL.

    .venv/bin/python bench/webhook_ingest.py [--deliveries N] [--requests R] [--clients C] [--replays P]

Fills a throw-away PostgreSQL database with N confirmed subscribers and one sent message (N deliveries), ANALYZEs it,
starts the Procfile's `web` command (gunicorn, its workers and access log) in production mode, and posts R signed
batches of 1,000 events each (as SendGrid sends them: processed, delivered, deferred, bounces, spam reports,
unsubscribes, for distinct recipients) from C concurrent clients. Then P of those requests are replayed: a replay
records nothing and should cost only its lookup. Finally it checks the database holds exactly what was sent.

Prints figures as it goes; the last line is one JSON object:
{"deliveries", "requests", "events", "events_per_second", "p50_seconds", "p99_seconds", "replay_p99_seconds",
 "speedup_vs_issue"}. Goals (issue 19): >= 10,000 events/s (the issue measured ~430/s) and p99 <= 2 s per request.
"""

import argparse
import base64
import http.client
import json
import os
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import psycopg  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from bench.pg_fill import (  # noqa: E402
    BENCH_SECRET_KEY,
    DEFAULT_PG,
    PostgresDatabase,
    add_campaign,
    address_of,
    analyze,
    bench_app,
    fill_sent_deliveries,
    fill_subscribers,
    migrate,
)

SECRET_KEY = BENCH_SECRET_KEY
EVENTS_PER_REQUEST = 1000
ISSUE_EVENTS_PER_SECOND = 430
# What SendGrid says about a recipient, most often first; a few per recipient in all.
MIX = ["processed"] * 40 + ["delivered"] * 35 + ["deferred"] * 15 + ["bounce"] * 5 + ["spamreport", "unsubscribe"] * 5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def payloads(message_id: int, deliveries: int, requests: int) -> list[bytes]:
    bodies = []
    stamp = int(time.time())
    for number in range(requests):
        events = []
        for index in range(EVENTS_PER_REQUEST):
            serial = number * EVENTS_PER_REQUEST + index
            recipient = serial % deliveries + 1
            name = MIX[(serial * 7) % len(MIX)]
            event = {
                "email": address_of(recipient),
                "timestamp": stamp,
                "event": name,
                "sg_event_id": f"bench-{serial:012d}",
                "sg_message_id": f"bench.{recipient}.filter0001",
                "message_id": str(message_id),
                "batch_id": str(recipient // 1000 + 1),
            }
            if name == "bounce":
                event["type"] = "blocked" if serial % 2 else "bounce"
            events.append(event)
        bodies.append(json.dumps(events, separators=(",", ":")).encode())
    return bodies


class Signer:
    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        public = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public_key = base64.b64encode(public).decode()

    def headers(self, body: bytes) -> dict:
        stamp = str(int(time.time()))
        signature = self.key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
            "Content-Type": "application/json",
        }


def post_all(port: int, bodies: list[bytes], signer: Signer, clients: int) -> tuple[list[float], list[dict], float]:
    """Post every body (C at a time); returns each request's seconds, the answers, and the wall time."""
    queue = list(enumerate(bodies))
    lock = threading.Lock()
    seconds: list[float] = [0.0] * len(bodies)
    answers: list[dict] = [{}] * len(bodies)
    failures: list[str] = []

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                if not queue:
                    break
                index, body = queue.pop(0)
            started = time.perf_counter()
            connection.request("POST", "/webhooks/sendgrid", body=body, headers=signer.headers(body))
            response = connection.getresponse()
            payload = response.read()
            seconds[index] = time.perf_counter() - started
            if response.status != 200:
                failures.append(f"{response.status} {payload[:200]!r}")
            else:
                answers[index] = json.loads(payload)
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, first: {failures[0]}")
    return seconds, answers, time.perf_counter() - started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def procfile_web_command(port: int) -> list[str]:
    line = next(line for line in (REPO_ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    command = line.split(":", 1)[1].strip().replace("${PORT:-8000}", str(port))
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    return [gunicorn if part == "gunicorn" else part for part in shlex.split(command)]


def wait_for(port: int, process: subprocess.Popen) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited at start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start listening")


def warm_up(port: int, path: str = "/subscribe", requests: int = 30) -> None:
    """A few requests first: gunicorn's workers load the app after it starts listening, and the figures are of a
    running service, not of its start."""
    for _ in range(requests):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", path)
        connection.getresponse().read()
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=1_000_000, help="subscribers and deliveries (1,000,000)")
    parser.add_argument("--requests", type=int, default=300, help="signed requests of 1,000 events (300)")
    parser.add_argument("--clients", type=int, default=6, help="concurrent clients (6)")
    parser.add_argument("--replays", type=int, default=20, help="requests replayed after the storm (20)")
    args = parser.parse_args()
    admin_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)
    signer = Signer()
    database = PostgresDatabase(admin_url)
    with database as url, tempfile.TemporaryDirectory() as folder:
        app = bench_app(url, SECRET_KEY)
        migrate(app)
        message_id = add_campaign(app, name="Storm", status="sent", sent=True)
        started = time.perf_counter()
        with psycopg.connect(database.libpq_url) as connection:
            fill_subscribers(connection, args.deliveries, SECRET_KEY)
            fill_sent_deliveries(connection, message_id, args.deliveries)
            connection.commit()
            analyze(connection)
        print(f"{args.deliveries:,} subscribers and deliveries stored in {time.perf_counter() - started:.1f}s")
        bodies = payloads(message_id, args.deliveries, args.requests)
        port = free_port()
        env = {
            **os.environ,
            "TIDINGS_ENV": "production",
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET_KEY,
            "EMAIL_HASH_KEY": SECRET_KEY,
            "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379"),
            "PUBLIC_BASE_URL": "https://news.bench.example",
            "SENDGRID_WEBHOOK_PUBLIC_KEY": signer.public_key,
            "OUTBOX_DIR": folder,
            "PORT": str(port),
        }
        web = subprocess.Popen(
            procfile_web_command(port), cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            wait_for(port, web)
            warm_up(port)
            seconds, answers, wall = post_all(port, bodies, signer, args.clients)
            replay_seconds, replay_answers, _ = post_all(port, bodies[: args.replays], signer, 1)
        finally:
            web.terminate()
            web.wait(timeout=30)
        events = args.requests * EVENTS_PER_REQUEST
        recorded = sum(answer["recorded"] for answer in answers)
        if recorded != events or any(answer["recorded"] for answer in replay_answers):
            raise RuntimeError(f"recorded {recorded} of {events} events; replays must record none")
        with psycopg.connect(database.libpq_url) as connection:
            stored = connection.execute("SELECT count(*) FROM email_events").fetchone()[0]
            statuses = dict(connection.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall())
            suppressions = connection.execute("SELECT count(*) FROM suppressions").fetchone()[0]
        if stored != events:
            raise RuntimeError(f"{stored} events stored, {events} sent")
    rate = events / wall
    result = {
        "deliveries": args.deliveries,
        "requests": args.requests,
        "events": events,
        "clients": args.clients,
        "events_per_second": round(rate),
        "p50_seconds": round(statistics.median(seconds), 3),
        "p99_seconds": round(percentile(seconds, 0.99), 3),
        "replay_p99_seconds": round(percentile(replay_seconds, 0.99), 3),
        "speedup_vs_issue": round(rate / ISSUE_EVENTS_PER_SECOND, 1),
    }
    print(
        f"{events:,} events in {args.requests} requests of {EVENTS_PER_REQUEST:,} ({args.clients} clients): "
        f"{wall:.1f}s, {rate:,.0f} events/s ({result['speedup_vs_issue']}x the issue's {ISSUE_EVENTS_PER_SECOND}/s); "
        f"per request p50 {result['p50_seconds']}s, p99 {result['p99_seconds']}s; "
        f"replayed requests p99 {result['replay_p99_seconds']}s"
    )
    print(f"deliveries by status: {statuses}; suppressions: {suppressions:,}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
