"""Benchmark: rendering a composed issue (5 sections, 3 images, MJML included), and what it costs a fan-out.

    .venv/bin/python bench/render.py [--renders R] [--n N] [--db sqlite|postgresql] [--no-fanout]

1. Render time: the email of one issue of 5 sections with 3 library images (and a hero, intro, button) is built by
   `outgoing_email_for` exactly as the worker builds it once per message (Markdown, nh3, Jinja2, MRML, CSS inlining,
   UTM tags), R times (default 200) after one warm-up; prints the median, p95 and mean, and the HTML and text sizes
   (Gmail clips HTML over 102 KB). Goal: a render under 50 ms.
2. Fan-out: bench/fanout.py's send of one newsletter to N confirmed subscribers (default 100,000; both databases
   unless --db), once with a one-section email and once with the composed issue. Goal: the composed issue's send
   within 10% of the one-section email's.

The last line is one JSON object:
{"render_ms_median", "render_ms_p95", "html_bytes", "text_bytes", "clipped_by_gmail", "fanout": [{"db", "n",
 "plain_seconds", "composed_seconds", "ratio"}]}
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

import fanout  # noqa: E402

from service.extensions import db  # noqa: E402
from service.models import Campaign  # noqa: E402
from service.outgoing.email import outgoing_email_for  # noqa: E402
from service.rendering.clinic import ClinicInfo  # noqa: E402
from service.rendering.mjml_email import clipped_by_gmail  # noqa: E402

SECTIONS, IMAGES = 5, 3


def render_times(renders: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'render.db'}"
        fanout.fill_database(url, 1, sections=SECTIONS, images=IMAGES)
        app = fanout.app_for(url, "http://127.0.0.1:9")
        with app.app_context():
            campaign = db.session.query(Campaign).one()
            issue = campaign.issues[0]
            clinic = ClinicInfo.from_config(app.config)
            assert len(issue.sections) == SECTIONS and sum(s.image is not None for s in issue.sections) == IMAGES
            email = outgoing_email_for(campaign, issue, clinic, 1)  # warm-up: templates compiled, caches filled
            times = []
            for _ in range(renders):
                started = time.perf_counter()
                email = outgoing_email_for(campaign, issue, clinic, 1)
                times.append((time.perf_counter() - started) * 1000)
            db.session.remove()
    times.sort()
    return {
        "render_ms_median": round(statistics.median(times), 2),
        "render_ms_p95": round(times[min(len(times) - 1, int(len(times) * 0.95))], 2),
        "render_ms_mean": round(statistics.fmean(times), 2),
        "html_bytes": len(email.html.encode()),
        "text_bytes": len(email.text.encode()),
        "clipped_by_gmail": clipped_by_gmail(email.html),
    }


def fanout_comparison(n: int, only_db: str | None) -> list[dict]:
    from tests.fakes.sendgrid_server import FakeSendGrid

    admin_url = os.environ.get("TEST_DATABASE_URL", fanout.DEFAULT_PG)
    spec = REPO_ROOT.parent / "shared" / "specs" / "sendgrid" / "tsg_mail_v3.json"
    results = []
    with tempfile.TemporaryDirectory() as folder, FakeSendGrid(spec, validate=False, record_bodies=False) as fake:
        for name in [only_db] if only_db else ["sqlite", "postgresql"]:
            if name == "postgresql" and not fanout.postgres_reachable(admin_url):
                print(f"[postgresql] not reachable at {admin_url}, skipped", flush=True)
                continue
            factory = (
                (lambda: fanout.PostgresDatabase(admin_url))
                if name == "postgresql"
                else (lambda: fanout.SQLiteDatabase(Path(folder)))
            )
            sample = min(50, n)  # the naive baseline is not what this compares; keep it short
            print(f"[{name}] one-section email:", flush=True)
            plain = fanout.measure(name, factory, fake, n, sample, False)
            print(f"[{name}] composed issue ({SECTIONS} sections, {IMAGES} images):", flush=True)
            composed = fanout.measure(name, factory, fake, n, sample, False, sections=SECTIONS, images=IMAGES)
            ratio = composed["seconds"] / plain["seconds"]
            print(
                f"[{name}] composed / one-section send time: {ratio:.2f} "
                f"({'within' if ratio <= 1.10 else 'NOT within'} the 10% goal)",
                flush=True,
            )
            results.append(
                {
                    "db": name,
                    "n": n,
                    "plain_seconds": plain["seconds"],
                    "composed_seconds": composed["seconds"],
                    "ratio": round(ratio, 3),
                }
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=200, help="timed renders (default 200)")
    parser.add_argument("--n", type=int, default=100_000, help="fan-out recipients (default 100,000)")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), help="one database only (default: both)")
    parser.add_argument("--no-fanout", action="store_true", help="render figures only")
    args = parser.parse_args()

    figures = render_times(args.renders)
    print(
        f"render of {SECTIONS} sections + {IMAGES} images: median {figures['render_ms_median']} ms, "
        f"p95 {figures['render_ms_p95']} ms, mean {figures['render_ms_mean']} ms (goal: under 50 ms); "
        f"HTML {figures['html_bytes'] / 1024:.1f} KB, text {figures['text_bytes'] / 1024:.1f} KB"
        + (" — over 102 KB: Gmail clips it" if figures["clipped_by_gmail"] else ""),
        flush=True,
    )
    figures["fanout"] = [] if args.no_fanout else fanout_comparison(args.n, args.db)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
