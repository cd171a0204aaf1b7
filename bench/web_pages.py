"""Benchmark: the pages a marketer opens first, on a large PostgreSQL database, single user, warm.

    .venv/bin/python bench/web_pages.py [--subscribers N] [--campaigns C] [--deliveries D] [--events E] [--runs R]

Fills a throw-away PostgreSQL database (built by the migrations) with N confirmed subscribers, C sent campaigns of
one email message each, D deliveries spread over them and E email events (delivered, some bounces, complaints and
unsubscribes), then times home, the campaign list, one campaign's report and list growth through the Flask test
client as an admin (one warm-up request each, then R timed). Prints p50/p95 per page; the last line is one JSON
object {"page": {"p50_ms", "p95_ms"}, ...}. The issue's figure: 1,000,000 subscribers, 2,000 campaigns,
5,000,000 deliveries and 1,000,000 events, p95 under 150 ms each. Defaults are small, to check it works.
"""

import argparse
import contextlib
import io
import json
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import psycopg  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from service import create_app  # noqa: E402
from service.extensions import db  # noqa: E402
from service.models import (  # noqa: E402
    Article,
    Campaign,
    Delivery,
    EmailEvent,
    EmailIssue,
    Message,
    Snippet,
    Subscriber,
    SubscriberTopic,
    User,
)

SECRET_KEY = "bench-secret-key-that-is-long-enough-for-the-bench"
PASSWORD = "bench-password-long-enough"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
CHUNK = 20_000
EVENT_MIX = ("delivered",) * 90 + ("bounce",) * 4 + ("deferred",) * 4 + ("spamreport", "unsubscribe")


def app_for(database_url: str):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PUBLIC_BASE_URL": "https://news.bench.example",
            "WTF_CSRF_ENABLED": False,
            "CLINIC_POSTAL_ADDRESS": "7 Real Road, Scottsdale, AZ 85251",
        }
    )


def _chunks(total: int):
    for start in range(1, total + 1, CHUNK):
        yield range(start, min(total, start + CHUNK - 1) + 1)


def fill(app, n: int, campaigns: int, deliveries: int, events: int) -> int:
    """Returns the id of one sent campaign (the one whose report is timed)."""
    now = datetime.now(UTC)
    with app.app_context():
        with contextlib.redirect_stderr(io.StringIO()):
            upgrade(directory=str(REPO_ROOT / "migrations"))
        admin = User(email="admin@bench.example", name="Admin", role="admin")
        admin.set_password(PASSWORD)
        article = Article(
            title="Bench",
            source_format="text",
            raw_text="Body.",
            fingerprint=uuid.uuid4().hex,
            snippets=[Snippet(position=0, heading="Bench", body="Body.")],
        )
        db.session.add_all([admin, article])
        db.session.commit()
        with db.engine.begin() as connection:
            for ids in _chunks(n):
                connection.execute(
                    insert(Subscriber),
                    [
                        {
                            "id": i,
                            "email": f"reader{i}@example.org",
                            "email_hash": f"{i:064x}",
                            "status": "confirmed",
                            "consent_source": ("form", "api", "import")[i % 3],
                            "created_at": now - timedelta(days=i % 200),
                            "confirmed_at": now - timedelta(days=i % 200),
                        }
                        for i in ids
                    ],
                )
                connection.execute(insert(SubscriberTopic), [{"subscriber_id": i, "topic": "newsletter"} for i in ids])
            connection.execute(
                insert(Campaign),
                [
                    {"id": c, "name": f"Campaign {c}", "slug": f"bench-{c}", "status": "sent", "topics": ["newsletter"]}
                    for c in range(1, campaigns + 1)
                ],
            )
            connection.execute(
                insert(EmailIssue), [{"id": c, "campaign_id": c, "position": 0} for c in range(1, campaigns + 1)]
            )
            connection.execute(
                insert(Message),
                [
                    {
                        "id": c,
                        "campaign_id": c,
                        "issue_id": c,
                        "channel": "email",
                        "status": "sent",
                        "send_at": now - timedelta(hours=c),
                        "started_at": now - timedelta(hours=c),
                        "finished_at": now - timedelta(hours=c) + timedelta(minutes=5),
                        "sent_count": deliveries // campaigns,
                    }
                    for c in range(1, campaigns + 1)
                ],
            )
            for ids in _chunks(deliveries):
                connection.execute(
                    insert(Delivery),
                    [
                        {
                            "id": d,
                            "message_id": 1 + d % campaigns,
                            "subscriber_id": 1 + (d // campaigns) % n,
                            "channel": "email",
                            "status": "delivered",
                        }
                        for d in ids
                    ],
                )
            for ids in _chunks(events):
                connection.execute(
                    insert(EmailEvent),
                    [
                        {
                            "sg_event_id": f"bench-{e}",
                            "event": EVENT_MIX[e % len(EVENT_MIX)],
                            "kind": "bounce" if EVENT_MIX[e % len(EVENT_MIX)] == "bounce" else "",
                            "message_id": 1 + e % campaigns,
                            "delivery_id": 1 + e % deliveries,
                            "subscriber_id": 1 + e % n,
                            "occurred_at": now - timedelta(hours=1 + e % campaigns) + timedelta(minutes=e % 2880),
                            "received_at": now,
                        }
                        for e in ids
                    ],
                )
        db.session.commit()
        with db.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
        db.session.remove()
    return 1


def time_pages(app, campaign_id: int, runs: int) -> dict:
    pages = {
        "home": "/",
        "campaign list": "/campaigns",
        "campaign report": f"/campaigns/{campaign_id}/report",
        "list growth": "/subscribers/growth",
    }
    client = app.test_client()
    assert client.post("/login", data={"email": "admin@bench.example", "password": PASSWORD}).status_code == 302
    figures = {}
    for name, path in pages.items():
        assert client.get(path).status_code == 200, path  # warm-up
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        times.sort()
        figures[name] = {
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        }
        print(f"{name:16} p50 {figures[name]['p50_ms']:8.1f} ms   p95 {figures[name]['p95_ms']:8.1f} ms", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=2_000)
    parser.add_argument("--campaigns", type=int, default=20)
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pg", default=DEFAULT_PG, help="an admin URL of the PostgreSQL server")
    args = parser.parse_args()
    name = f"tidings_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.pg, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{args.pg.rsplit('/', 1)[0]}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        app = app_for(url)
        started = time.perf_counter()
        campaign_id = fill(app, args.subscribers, args.campaigns, args.deliveries, args.events)
        print(f"filled in {time.perf_counter() - started:.1f} s", flush=True)
        with app.app_context():
            figures = time_pages(app, campaign_id, args.runs)
            db.session.remove()
            db.engine.dispose()
    finally:
        with psycopg.connect(args.pg, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
