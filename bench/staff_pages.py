"""Benchmark: the marketer's pages at a million subscribers, on PostgreSQL.

    .venv/bin/python bench/staff_pages.py [--subscribers N] [--campaigns C] [--repeat R]

Fills a throw-away PostgreSQL database with N confirmed subscribers over three topics, C campaigns (all but one sent,
each with its email message) and one sent message with N deliveries, then ANALYZEs it (this machine's PostgreSQL runs
with autovacuum off). Logged in as a marketer through the real login form, it times each page R times through the
app (Flask's test client: the whole request, no network) and counts the SQL statements each page runs:
- the audience size while composing (`/subscribers/audience-size`, and the new-campaign form that shows it);
- a sent campaign's page; the campaign list (statements must not grow with the number of campaigns);
- the subscriber list;
- the CSV export of all subscribers, streamed (time, and this process's peak memory before and after);
- the worker's daily mending of the audience counts (a recount of the whole list in one statement).

Prints figures as it goes; the last line is one JSON object with each page's p95 seconds and statement count, and
the export's seconds and memory. Goals (issue 19): audience size <= 100 ms p95, a campaign page <= 150 ms, the
campaign list with no query per campaign, the subscriber list <= 100 ms, the export <= 30 s with memory flat.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import psycopg  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bench.pg_fill import (  # noqa: E402
    BENCH_SECRET_KEY,
    DEFAULT_PG,
    PostgresDatabase,
    add_campaign,
    analyze,
    bench_app,
    fill_sent_deliveries,
    fill_subscribers,
    migrate,
)
from bench.webhook_ingest import percentile  # noqa: E402

SECRET_KEY = BENCH_SECRET_KEY
TOPICS = ("newsletter", "kap", "events")
PASSWORD = "bench-password-long-enough"


def peak_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def timed_page(app, client, url: str, repeat: int) -> dict:
    statements = []

    def count(*_args):
        statements[-1] += 1

    from service.extensions import db

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    seconds = []
    try:
        for _ in range(repeat):
            statements.append(0)
            started = time.perf_counter()
            response = client.get(url)
            response.get_data()
            seconds.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code}")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return {"p95_seconds": round(percentile(seconds, 0.95), 4), "statements": max(statements)}


def export_all(client) -> dict:
    before = peak_rss_mb()
    started = time.perf_counter()
    response = client.get("/subscribers/export.csv")
    lines = 0
    for chunk in response.response:
        lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "rows": lines - 1,
        "peak_rss_mb_before": round(before, 1),
        "peak_rss_mb_after": round(peak_rss_mb(), 1),
    }


def mend_counts(app) -> dict:
    """The worker's daily recount of the whole list, which must find the kept counts exact after the fill."""
    from service.extensions import db
    from service.subscribers.audience_counts import mend_audience_counts

    with app.app_context():
        started = time.perf_counter()
        corrected = mend_audience_counts(db.session)
        seconds = time.perf_counter() - started
        db.session.remove()
    if corrected != {}:
        raise RuntimeError(f"the kept counts were wrong after the fill: {corrected}")
    return {"seconds": round(seconds, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000, help="confirmed subscribers (1,000,000)")
    parser.add_argument("--campaigns", type=int, default=200, help="campaigns (200)")
    parser.add_argument("--repeat", type=int, default=20, help="requests per page (20)")
    args = parser.parse_args()
    database = PostgresDatabase(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG))
    with database as url:
        app = bench_app(url, SECRET_KEY, SUBSCRIBER_TOPICS=list(TOPICS), WTF_CSRF_ENABLED=False)
        migrate(app)
        started = time.perf_counter()
        message_ids = [
            add_campaign(app, name=f"Campaign {number}", status="sent", sent=True, topics=TOPICS[:2])
            for number in range(args.campaigns - 1)
        ]
        add_campaign(app, name="Next issue", status="scheduled", sent=False, topics=TOPICS[:2])
        with psycopg.connect(database.libpq_url) as connection:
            fill_subscribers(connection, args.subscribers, SECRET_KEY, topics=TOPICS)
            fill_sent_deliveries(connection, message_ids[-1], args.subscribers)
            connection.commit()
            analyze(connection)
        print(
            f"{args.subscribers:,} subscribers, {args.campaigns} campaigns, {args.subscribers:,} deliveries "
            f"stored in {time.perf_counter() - started:.1f}s",
            flush=True,
        )
        with app.app_context():
            from service.extensions import db
            from service.models import Message, User

            user = User(email="marketer@bench.example", name="Marketer", role="marketer")
            user.set_password(PASSWORD)
            db.session.add(user)
            db.session.commit()
            sent_campaign_id = db.session.get(Message, message_ids[-1]).campaign_id
            db.session.remove()
        client = app.test_client()
        if client.post("/login", data={"email": "marketer@bench.example", "password": PASSWORD}).status_code != 302:
            raise RuntimeError("login failed")
        pages = {
            "audience_size": "/subscribers/audience-size?topics=newsletter&topics=kap",
            "new_campaign_form": "/campaigns/new",
            "sent_campaign_page": f"/campaigns/{sent_campaign_id}",
            "campaign_list": "/campaigns",
            "subscriber_list": "/subscribers",
        }
        results = {}
        for name, page in pages.items():
            results[name] = timed_page(app, client, page, args.repeat)
            print(
                f"{name}: p95 {results[name]['p95_seconds'] * 1000:.0f} ms, "
                f"{results[name]['statements']} SQL statements",
                flush=True,
            )
        results["export"] = export_all(client)
        export = results["export"]
        print(
            f"CSV export: {export['rows']:,} rows in {export['seconds']}s, peak RSS "
            f"{export['peak_rss_mb_before']} MB before, {export['peak_rss_mb_after']} MB after",
            flush=True,
        )
        results["mend_counts"] = mend_counts(app)
        print(f"the worker's daily mending of the audience counts: {results['mend_counts']['seconds']}s", flush=True)
        with app.app_context():
            from service.extensions import db

            db.engine.dispose()
    print(json.dumps({"subscribers": args.subscribers, "campaigns": args.campaigns, **results}))


if __name__ == "__main__":
    main()
