"""Filling a throw-away PostgreSQL database at benchmark sizes, shared by the benchmarks that need a big list.

Rows go in by COPY (subscribers, whose keyed hashes Python computes) and by INSERT ... SELECT over generate_series
(topics, deliveries); the schema is the migrations'. Every fill ends with ANALYZE: this machine's PostgreSQL runs with
autovacuum off, and a freshly bulk-loaded table has no planner statistics (production's autovacuum would have them).
"""

import base64
import contextlib
import hashlib
import hmac
import io
import secrets
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
TOPIC = "newsletter"
# Random each run: production refuses published keys (the benchmarks run the web process in production mode).
BENCH_SECRET_KEY = secrets.token_urlsafe(48)


class PostgresDatabase:
    """A throw-away database on the local PostgreSQL server; entering gives its SQLAlchemy URL."""

    def __init__(self, admin_url: str = DEFAULT_PG):
        self.admin_url = admin_url
        self.name = f"tidings_bench_{uuid.uuid4().hex[:8]}"

    @property
    def libpq_url(self) -> str:
        return f"{self.admin_url.rsplit('/', 1)[0]}/{self.name}"

    def __enter__(self) -> str:
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        return self.libpq_url.replace("postgresql://", "postgresql+psycopg://", 1)

    def __exit__(self, *exc_info) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def bench_app(database_url: str, secret_key: str, **config):
    sys.path.insert(0, str(REPO_ROOT))
    from service import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": secret_key,
            "EMAIL_HASH_KEY": secret_key,
            "SQLALCHEMY_DATABASE_URI": database_url,
            **config,
        }
    )


def migrate(app) -> None:
    """The schema as production has it, built by the migrations (their log lines kept out of the figures)."""
    from flask_migrate import upgrade

    with app.app_context(), contextlib.redirect_stderr(io.StringIO()):
        upgrade(directory=str(REPO_ROOT / "migrations"))


def add_campaign(app, *, name: str, status: str, sent: bool, topics=(TOPIC,)) -> int:
    """A campaign with one email message (sent, or due in a month). Returns the message's id."""
    from datetime import timedelta

    from bench.fanout import composed_issue
    from service.extensions import db
    from service.models import Campaign, Message

    now = datetime.now(UTC)
    with app.app_context():
        campaign = Campaign(
            name=name,
            slug=f"bench-{uuid.uuid4().hex[:8]}",
            status=status,
            send_email=True,
            send_post=False,
            email_subject=f"{name}: what helps",
            topics=list(topics),
            issues=[composed_issue()],
        )
        db.session.add(campaign)
        db.session.flush()
        message = Message(
            campaign_id=campaign.id,
            issue_id=campaign.issues[0].id,
            channel="email",
            send_at=now if sent else now + timedelta(days=30),
            status="sent" if sent else "planned",
        )
        db.session.add(message)
        db.session.commit()
        message_id = message.id
        db.session.remove()
    return message_id


def address_of(number: int) -> str:
    return f"reader{number:07d}@example{number % 97}.org"


def public_id_of(number: int) -> str:
    """Subscriber `number`'s public id (links carry it): unique, 22 URL-safe characters that look random, as
    `new_public_id`'s do. Not a counter: a padded number compresses, so itsdangerous would zlib-compress every
    unsubscribe token's payload, which real (random) ids never make it do, and the fan-out would measure that."""
    digest = hashlib.blake2b(number.to_bytes(8, "big"), digest_size=16, person=b"tidings-bench").digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def hash_of(number: int, secret_key: str) -> str:
    return hmac.new(secret_key.encode(), address_of(number).encode(), hashlib.sha256).hexdigest()


def fill_subscribers(connection: psycopg.Connection, n: int, secret_key: str, *, topics=(TOPIC,)) -> None:
    """N confirmed subscribers (ids 1..N) of `topics`: subscriber i has topics[i % len(topics)] (and, every third,
    the next one too)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    columns = (
        "id, public_id, email, email_hash, first_name, status, consent_at, consent_source, confirmed_at, created_at"
    )
    with connection.cursor() as cursor, cursor.copy(f"COPY subscribers ({columns}) FROM STDIN") as copy:
        for number in range(1, n + 1):
            first_name = f"Reader{number}" if number % 3 else ""
            digest = hash_of(number, secret_key)
            row = (number, public_id_of(number), address_of(number), digest, first_name, "confirmed", now, "import")
            copy.write_row((*row, now, now))
    with connection.cursor() as cursor, cursor.copy("COPY subscriber_topics (subscriber_id, topic) FROM STDIN") as copy:
        for number in range(1, n + 1):
            copy.write_row((number, topics[number % len(topics)]))
            if len(topics) > 1 and number % 3 == 0:
                copy.write_row((number, topics[(number + 1) % len(topics)]))
    connection.execute("SELECT setval('subscribers_id_seq', %s)", (n,))


def fill_sent_deliveries(connection: psycopg.Connection, message_id: int, n: int) -> None:
    """Deliveries of `message_id` to subscribers 1..N, sent, and the message's counts as the worker leaves them."""
    connection.execute(
        "INSERT INTO deliveries (message_id, subscriber_id, channel, status, created_at, updated_at) "
        "SELECT %s, g, 'email', 'sent', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC' "
        "FROM generate_series(1, %s) AS g",
        (message_id, n),
    )
    connection.execute(
        "UPDATE messages SET sent_count = %s, total_count = %s, delivery_count = %s WHERE id = %s",
        (n, n, n, message_id),
    )


def analyze(connection: psycopg.Connection) -> None:
    with contextlib.suppress(psycopg.Error):
        connection.commit()
    connection.autocommit = True
    connection.execute("ANALYZE")
    connection.autocommit = False
