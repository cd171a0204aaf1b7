"""Benchmark: the pages a marketer opens first, on a large PostgreSQL database, single user, warm.

    .venv/bin/python bench/web_pages.py [--subscribers N] [--campaigns C] [--deliveries D] [--events E] [--runs R]

Fills a throw-away PostgreSQL database (built by the migrations) with N confirmed subscribers, C sent campaigns of
one email message each, D deliveries spread over them and E email events (delivered, some bounces, complaints and
unsubscribes), then times home, the campaign list, one campaign's report and list growth through the Flask test
client as an admin (one warm-up request each, then R timed). Prints p50/p95 per page; the last line is one JSON
object {"page": {"p50_ms", "p95_ms"}, ...}. The issue's figure: 1,000,000 subscribers, 2,000 campaigns,
5,000,000 deliveries and 1,000,000 events, p95 under 150 ms each. Defaults are small, to check it works; at full size

    .venv/bin/python bench/web_pages.py --subscribers 1000000 --campaigns 2000 --deliveries 5000000 --events 1000000

fills in a few minutes (each big table by one INSERT ... SELECT over generate_series).
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
from sqlalchemy import insert  # noqa: E402

from service import create_app  # noqa: E402
from service.extensions import db  # noqa: E402
from service.models import (  # noqa: E402
    Article,
    Campaign,
    EmailIssue,
    Message,
    Snippet,
    User,
)

SECRET_KEY = "bench-secret-key-that-is-long-enough-for-the-bench"
PASSWORD = "bench-password-long-enough"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
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


# Subscriber i signed up i % 200 days ago, through one of three sources: list growth has weeks and sources to show.
_SUBSCRIBER_ROWS = """
    SELECT g, 'bench' || lpad(g::text, 17, '0'), 'reader' || g || '@example.org', lpad(to_hex(g), 64, '0'),
        '', 'confirmed', (ARRAY['form', 'api', 'import'])[1 + g %% 3], %(now)s - make_interval(days => g %% 200),
        %(now)s - make_interval(days => g %% 200), %(now)s - make_interval(days => g %% 200)
    FROM generate_series(1, %(n)s) AS g
"""
# Deliveries spread over the messages round robin, each message's to distinct subscribers.
_DELIVERY_ROWS = """
    SELECT d, 1 + d %% %(campaigns)s, 1 + (d / %(campaigns)s) %% %(n)s, 'email', 'delivered', %(now)s, %(now)s
    FROM generate_series(1, %(deliveries)s) AS d
"""
# EVENT_MIX by position: event e is EVENT_MIX[e % 100], for message 1 + e % campaigns, within 48 hours of its send.
_EVENT_ROWS = """
    SELECT 'bench-' || e, mix.event, CASE WHEN mix.event = 'bounce' THEN 'bounce' ELSE '' END,
        1 + e %% %(campaigns)s, 1 + e %% %(deliveries)s, 1 + e %% %(n)s,
        %(now)s - make_interval(hours => 1 + e %% %(campaigns)s) + make_interval(mins => e %% 2880), %(now)s
    FROM generate_series(1, %(events)s) AS e
    JOIN unnest(%(mix)s::text[]) WITH ORDINALITY AS mix(event, position) ON mix.position = 1 + e %% %(mix_size)s
"""


def fill(app, libpq_url: str, n: int, campaigns: int, deliveries: int, events: int) -> int:
    """Returns the id of one sent campaign (the one whose report is timed).

    The big tables are filled by one INSERT ... SELECT over generate_series each: a statement per row would also fire
    the subscriber count triggers (service/subscribers/audience_counts.py) once per row, hours at full size. One
    statement fires them once, so the kept counts come out right.
    """
    now = datetime.now(UTC)
    with app.app_context():
        with contextlib.redirect_stderr(io.StringIO()):
            upgrade(directory=str(REPO_ROOT / "migrations"), revision="heads")
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
        db.session.remove()
    values = {
        "now": now.replace(tzinfo=None),  # the columns hold naive UTC
        "n": n,
        "campaigns": campaigns,
        "deliveries": deliveries,
        "events": events,
        "mix": list(EVENT_MIX),
        "mix_size": len(EVENT_MIX),
    }
    with psycopg.connect(libpq_url) as connection:
        for what, statement in (
            (
                "subscribers",
                "INSERT INTO subscribers (id, public_id, email, email_hash, first_name, status, consent_source, "
                "consent_at, confirmed_at, created_at) " + _SUBSCRIBER_ROWS,
            ),
            ("topics", "INSERT INTO subscriber_topics (subscriber_id, topic) SELECT id, 'newsletter' FROM subscribers"),
            (
                "deliveries",
                "INSERT INTO deliveries (id, message_id, subscriber_id, channel, status, created_at, updated_at) "
                + _DELIVERY_ROWS,
            ),
            (
                "delivery counts (as the send ledger keeps them)",
                "UPDATE messages SET delivery_count = counted.n FROM (SELECT message_id, count(*) AS n FROM deliveries "
                "GROUP BY message_id) AS counted WHERE counted.message_id = messages.id",
            ),
            (
                "events",
                "INSERT INTO email_events (sg_event_id, event, kind, message_id, delivery_id, subscriber_id, "
                "occurred_at, received_at) " + _EVENT_ROWS,
            ),
        ):
            started = time.perf_counter()
            connection.execute(statement, values)
            print(f"  {what}: {time.perf_counter() - started:.1f} s", flush=True)
        connection.execute("SELECT setval('subscribers_id_seq', %s)", (n,))
        connection.execute("SELECT setval('deliveries_id_seq', %s)", (max(deliveries, 1),))
        connection.commit()
        # This machine's PostgreSQL runs with autovacuum off: without ANALYZE a bulk-loaded table has no statistics,
        # and without VACUUM no visibility map, so no index-only scans (production's autovacuum keeps both).
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE")
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
    libpq_url = f"{args.pg.rsplit('/', 1)[0]}/{name}"
    url = libpq_url.replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        app = app_for(url)
        started = time.perf_counter()
        campaign_id = fill(app, libpq_url, args.subscribers, args.campaigns, args.deliveries, args.events)
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
