"""Benchmark: the public subscriber pages at a steady 200 requests/s, through gunicorn as the Procfile runs it.

    .venv/bin/python bench/public_load.py [--subscribers N] [--rate R] [--seconds S]

Fills a throw-away PostgreSQL database with N confirmed subscribers (ANALYZEd after loading), starts the Procfile's
`web` command in production mode and sends R requests a second for S seconds, open loop (each request leaves at its
own time, whatever the others are doing): half RFC 8058 one-click unsubscribe POSTs (each for a different
subscriber, with the link the email carries), a quarter the signup form, a quarter the unsubscribe page. Then it
checks every one-click unsubscribe was recorded.

Prints figures as it goes; the last line is one JSON object: per page p50/p99 seconds and errors, the achieved rate
and the unsubscribes recorded. Goal (issue 19): p99 <= 200 ms at 200 requests/s, 0 errors, every unsubscribe kept.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import psycopg  # noqa: E402

from bench.pg_fill import (  # noqa: E402
    BENCH_SECRET_KEY,
    DEFAULT_PG,
    PostgresDatabase,
    analyze,
    bench_app,
    fill_subscribers,
    migrate,
    public_id_of,
)
from bench.webhook_ingest import free_port, percentile, procfile_web_command, wait_for, warm_up  # noqa: E402

SECRET_KEY = BENCH_SECRET_KEY
BASE_URL = "https://news.bench.example"


def unsubscribe_paths(count: int, step: int) -> list[str]:
    from service.outgoing.links import unsubscribe_url
    from service.rendering.clinic import ClinicInfo

    app = bench_app("sqlite://", SECRET_KEY, PUBLIC_BASE_URL=BASE_URL)
    clinic = ClinicInfo.from_config(app.config)
    return [
        urlsplit(unsubscribe_url(clinic, SECRET_KEY, public_id_of(1 + number * step))).path for number in range(count)
    ]


class Load:
    """Requests sent at fixed times from a pool of threads, each with its own keep-alive connection."""

    def __init__(self, port: int):
        self.port = port
        self.local = threading.local()
        self.results: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.lock = threading.Lock()

    def _connection(self) -> http.client.HTTPConnection:
        if getattr(self.local, "connection", None) is None:
            self.local.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        return self.local.connection

    def send(self, due: float, page: str, method: str, path: str, body: bytes | None, headers: dict) -> None:
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        started = time.perf_counter()
        ok = False
        try:
            connection = self._connection()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            self.local.connection = None
        # From when the request was due: a request that waited for a free thread counts its wait too.
        seconds = time.perf_counter() - min(started, due)
        with self.lock:
            self.results.setdefault(page, []).append(seconds)
            if not ok:
                self.errors[page] = self.errors.get(page, 0) + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000, help="confirmed subscribers (1,000,000)")
    parser.add_argument("--rate", type=int, default=200, help="requests per second (200)")
    parser.add_argument("--seconds", type=int, default=30, help="seconds of load (30)")
    args = parser.parse_args()
    total = args.rate * args.seconds
    one_clicks = total // 2
    database = PostgresDatabase(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG))
    with database as url, tempfile.TemporaryDirectory() as folder:
        migrate(bench_app(url, SECRET_KEY))
        with psycopg.connect(database.libpq_url) as connection:
            fill_subscribers(connection, args.subscribers, SECRET_KEY)
            connection.commit()
            analyze(connection)
        print(f"{args.subscribers:,} subscribers stored", flush=True)
        step = max(1, args.subscribers // (one_clicks + total // 4 + 1))
        paths = unsubscribe_paths(one_clicks + total // 4, step)
        port = free_port()
        env = {
            **os.environ,
            "TIDINGS_ENV": "production",
            "DATABASE_URL": url,
            "SECRET_KEY": SECRET_KEY,
            "EMAIL_HASH_KEY": SECRET_KEY,
            "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379"),
            "PUBLIC_BASE_URL": BASE_URL,
            "OUTBOX_DIR": folder,
            "PORT": str(port),
        }
        web = subprocess.Popen(
            procfile_web_command(port), cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        load = Load(port)
        try:
            wait_for(port, web)
            warm_up(port)
            form = {"Content-Type": "application/x-www-form-urlencoded"}
            start = time.perf_counter() + 0.5
            with ThreadPoolExecutor(max_workers=32) as pool:
                clicks = iter(paths[:one_clicks])
                pages = iter(paths[one_clicks:])
                for number in range(total):
                    due = start + number / args.rate
                    if number % 2 == 0:
                        request = ("one_click_unsubscribe", "POST", next(clicks), b"List-Unsubscribe=One-Click", form)
                    elif number % 4 == 1:
                        request = ("signup_form", "GET", "/subscribe", None, {})
                    else:
                        request = ("unsubscribe_page", "GET", next(pages), None, {})
                    pool.submit(load.send, due, *request)
            wall = time.perf_counter() - start
        finally:
            web.terminate()
            web.wait(timeout=30)
        with psycopg.connect(database.libpq_url) as connection:
            unsubscribed = connection.execute(
                "SELECT count(*) FROM subscribers WHERE status = 'unsubscribed'"
            ).fetchone()[0]
    result = {"rate": args.rate, "requests": total, "achieved_rate": round(total / wall, 1)}
    for page, seconds in sorted(load.results.items()):
        result[page] = {
            "p50_seconds": round(statistics.median(seconds), 4),
            "p99_seconds": round(percentile(seconds, 0.99), 4),
            "errors": load.errors.get(page, 0),
        }
        print(
            f"{page}: {len(seconds):,} requests, p50 {result[page]['p50_seconds'] * 1000:.0f} ms, "
            f"p99 {result[page]['p99_seconds'] * 1000:.0f} ms, {result[page]['errors']} errors",
            flush=True,
        )
    result["unsubscribes_sent"], result["unsubscribes_recorded"] = one_clicks, unsubscribed
    print(f"{total:,} requests in {wall:.1f}s; {unsubscribed:,} of {one_clicks:,} one-click unsubscribes recorded")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
