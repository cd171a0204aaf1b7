"""Benchmark: check and import a 100,000-row subscriber CSV, on SQLite and (if reachable) PostgreSQL.

    .venv/bin/python bench/csv_import.py [--rows N]

Prints a line per database and, last, one JSON line: {"rows": N, "sqlite": {...}, "postgresql": {...} | null}.
The target is under a minute for check + import of 100,000 rows.
"""

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from service import create_app  # noqa: E402
from service.extensions import db  # noqa: E402
from service.models import Subscriber  # noqa: E402
from service.subscribers.csv_import import ImportContext, check_file, import_checked  # noqa: E402

TOPICS = ["newsletter", "kap", "events"]
SOURCES = ["paper form at the front desk", "website signup (old system)", "community talk sign-up sheet"]
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(4)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("email,first_name,topics,consent_date,consent_source\n")
        for number in range(rows):
            topics = " ".join(rng.sample(TOPICS, rng.randint(1, 3)))
            day = f"202{rng.randint(0, 5)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            handle.write(
                f"reader{number}@example{number % 97}.org,Reader {number},{topics},{day},{rng.choice(SOURCES)}\n"
            )


def run(database_url: str, csv_path: Path, workdir: Path) -> dict:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-secret-key-that-is-long-enough",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "OUTBOX_DIR": str(workdir / "outbox"),
            "SUBSCRIBER_IMPORT_DIR": str(workdir / "imports"),
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        ctx = ImportContext(tuple(TOPICS), app.config["SECRET_KEY"], app.config["CLINIC_TIMEZONE"], datetime.now(UTC))
        kept = workdir / "checked.rows"
        started = time.perf_counter()
        # As the Import page does it: check (validating every row, keeping the valid ones), then import those.
        with (
            csv_path.open(encoding="utf-8-sig", newline="") as stream,
            kept.open("w", encoding="utf-8", newline="") as keep,
        ):
            report = check_file(db.session, stream, ctx, keep=keep)
        db.session.rollback()
        checked = time.perf_counter()
        with kept.open(encoding="utf-8", newline="") as stream:
            report = import_checked(db.session, stream, ctx, actor=None)
        db.session.commit()
        finished = time.perf_counter()
        stored = db.session.scalar(select(func.count()).select_from(Subscriber))
        db.session.remove()
        db.engine.dispose()
    return {
        "check_seconds": round(checked - started, 2),
        "import_seconds": round(finished - checked, 2),
        "total_seconds": round(finished - started, 2),
        "imported": report.new,
        "stored": stored,
    }


def postgres_database() -> tuple[str, str, str] | None:
    admin_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        return None
    name = f"tidings_bench_{uuid.uuid4().hex[:8]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{admin_url.rsplit('/', 1)[0]}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    return admin_url, name, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    rows = parser.parse_args().rows
    results: dict = {"rows": rows, "sqlite": None, "postgresql": None}
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        csv_path = workdir / "subscribers.csv"
        write_csv(csv_path, rows)
        results["sqlite"] = run(f"sqlite:///{workdir / 'bench.db'}", csv_path, workdir)
        print(f"sqlite: {results['sqlite']}")
        target = postgres_database()
        if target is None:
            print("postgresql: not reachable, skipped")
        else:
            admin_url, name, url = target
            try:
                results["postgresql"] = run(url, csv_path, workdir)
                print(f"postgresql: {results['postgresql']}")
            finally:
                with psycopg.connect(admin_url, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(results))


if __name__ == "__main__":
    main()
