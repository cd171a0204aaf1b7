"""Benchmark: one newsletter to N confirmed subscribers through the real `sendgrid` client to a fast fake SendGrid.

    .venv/bin/python bench/fanout.py [--n N] [--db sqlite|postgresql] [--naive-sample S] [--no-10x] [--schedule]

For each database (both by default; PostgreSQL only if reachable) it fills a fresh database with N confirmed
subscribers, then runs the worker's send (`run_due_messages`, exactly as `flask worker` does) in a subprocess, so the
worker's own peak memory is measured, against a FakeSendGrid on 127.0.0.1 that skips validation and keeps
only counts (it runs in this process, on the other core). The same is repeated with 10×N subscribers, to show that the
worker's memory does not grow with the list.

Baseline: a naive send, rendering the email and making one request per recipient (and committing each delivery). It is
timed on a sample of S recipients (default 2,000) and extrapolated to N, because really sending N one by one would take
minutes; the output says so.

Prints figures as it goes; the last line is one JSON object for the last database measured:
{"n", "db", "seconds", "cpu_seconds", "database_cpu_seconds", "recipients_per_second", "requests", "peak_rss_mb",
"encoder_cpu_seconds", "encoder_peak_rss_mb", "seconds_10x", "peak_rss_mb_10x", "speedup_vs_naive"} (with --db
both, the line before it is the other database's). Peak memory is the worker's and its encoding process's together
(the process that builds each batch's request, see service/worker/batch_encoding.py); "encoder_*" is that process's
share. CPU seconds are the worker's, its encoding process's, its PostgreSQL backends' (when the server runs on this
host) and the fake's: steadier than the wall clock on a machine shared with other work, and their sum over the cores
is the shortest a send could take here. Each send also prints the time of each of its steps (audience query, ledger
writes, requests, commits). Goals on a 2-core machine (issue 19, PostgreSQL): 100,000 recipients in at most 5 s and
1,000,000 in at most 40 s, peak memory within 1.3× of itself at 10× the list size. The database is ANALYZEd after
loading.

--schedule also measures the hand-over path: the message is due 15 minutes ahead, inside the hand-over lead, so every
request first gets its own batch_id (POST /v3/mail/batch, written to the ledger with the batch before the request
leaves) and carries send_at. It runs three pairs of sends (direct, then hand-over, each on a fresh database of N) and
prints each pair's ratio of rates and their median (goal: within 10%); the JSON gains "schedule_recipients_per_second",
"schedule_vs_direct" (the median) and "schedule_vs_direct_pairs".
"""

import argparse
import contextlib
import hashlib
import hmac
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import psycopg  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402

from bench.pg_fill import fill_subscribers  # noqa: E402
from service import create_app  # noqa: E402
from service.channels.email.base import OutgoingEmail, Recipient, apply_substitutions  # noqa: E402
from service.extensions import db  # noqa: E402
from service.models import (  # noqa: E402
    Campaign,
    Delivery,
    EmailIssue,
    Media,
    Message,
    Section,
    Subscriber,
    SubscriberTopic,
)
from service.outgoing.email import outgoing_email_for, recipient_values  # noqa: E402
from service.outgoing.links import unsubscribe_url  # noqa: E402
from service.subscribers.audience import audience_batch  # noqa: E402
from service.subscribers.identity import normalize_email  # noqa: E402
from service.worker import batch_encoding  # noqa: E402
from service.worker.context import WorkerContext  # noqa: E402
from service.worker.dispatch import run_due_messages  # noqa: E402
from service.worker.scheduler import freeze_startup_objects  # noqa: E402

SECRET_KEY = "bench-secret-key-that-is-long-enough-for-the-bench"
API_KEY = "SG.bench"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
TOPIC = "newsletter"
INSERT_CHUNK = 20_000
BODY = (
    "Preparation matters as much as the session itself. Before a first appointment our team reviews your history, "
    "talks through what to expect, and plans the ride home.\n\n"
    "Afterwards, integration sessions help turn what came up into steady changes. Most people book two or three in "
    "the weeks that follow, and many keep one a month after that.\n\n"
    "Questions about whether this is right for you belong with your own provider; we are glad to talk with them."
)


# -- the worker side (runs in a subprocess) ---------------------------------------------------------------------------


SCHEDULE_AHEAD = timedelta(minutes=15)  # inside the default 20-minute hand-over lead


def app_for(database_url: str, fake_url: str):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET_KEY,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PUBLIC_BASE_URL": "https://news.bench.example",
            "EMAIL_CHANNEL": "sendgrid",
            "SOCIAL_CHANNEL": "outbox",
            "SENDGRID_API_KEY": API_KEY,
            "SENDGRID_API_HOST": fake_url,
            "EMAIL_BATCH_SIZE": 1000,
            "CLINIC_POSTAL_ADDRESS": "7 Real Road, Scottsdale, AZ 85251",
        }
    )


def peak_rss_mb() -> float:
    """This process's peak resident memory. On Linux from VmHWM: ru_maxrss would report the parent's size at fork
    when that was larger (the high-water mark survives exec), which here is the benchmark's, not the worker's."""
    try:
        return _peak_mb("self")
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _peak_mb(pid: int | str) -> float:
    """A process's peak resident memory (VmHWM in /proc/<pid>/status), in MB."""
    status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")) / 1024


def _stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command's name (which may hold spaces): [0] is the state, [1] the
    parent's pid, [11] and [12] user and system CPU in clock ticks."""
    return Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()


def _cpu_seconds(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class StepTimer:
    """Seconds spent in each step of a send, by wrapping the functions the worker calls for it (they run as
    they are; only the clock is read around them)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def wrap(self, owner, name: str, step: str) -> None:
        inner = getattr(owner, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.seconds[step] = self.seconds.get(step, 0.0) + time.perf_counter() - started

        setattr(owner, name, timed)


def worker_send(database_url: str, fake_url: str) -> dict:
    """The worker's send, as `flask worker` runs it, with the time of each step."""
    from sqlalchemy.orm import Session

    import service.worker.email_send as email_send

    app = app_for(database_url, fake_url)
    steps = StepTimer()
    steps.wrap(email_send, "audience_batch", "audience query")
    steps.wrap(email_send.ledger, "open_batch", "ledger: batch in flight")
    steps.wrap(email_send.ledger, "write_in_flight", "ledger: deliveries in flight")
    steps.wrap(email_send.ledger, "finish_batch", "ledger: batch and deliveries sent")
    steps.wrap(email_send.PendingRequest, "encoded", "waiting for request bodies (links, JSON: encoding process)")
    steps.wrap(email_send, "_stop_reason", "lease and campaign status check")
    steps.wrap(Session, "commit", "commits")
    with app.app_context():
        ctx = WorkerContext.from_config(app.config)
        steps.wrap(ctx.email_channel, "send_encoded", "SendGrid requests (client and fake server)")
        # Started ahead, as in a worker that has made a large send before: the first one waits for it (timed here).
        encoder_started = time.perf_counter()
        batch_encoding.start(ctx.email_channel.batch_encoder())
        encoder_start_seconds = time.perf_counter() - encoder_started
        freeze_startup_objects()
        backends_before, wal_before = backend_cpu_seconds(), wal_position()
        encoder_before = encoding_process()[0]
        cpu_before = time.process_time()
        started = time.perf_counter()
        handled = run_due_messages(db.session, ctx)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
        encoder_cpu, encoder_peak = encoding_process()
        backends = backend_cpu_seconds()
        database_cpu = sum(used - backends_before.get(pid, 0.0) for pid, used in backends.items())
        wal = wal_written(wal_before)
        sent = db.session.scalar(select(Message.sent_count).where(Message.status == "sent", Message.channel == "email"))
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "database_cpu_seconds": database_cpu,
        "wal": wal,
        "peak_rss_mb": peak_rss_mb(),
        "encoder_start_seconds": encoder_start_seconds,
        "encoder_cpu_seconds": encoder_cpu - encoder_before,
        "encoder_peak_rss_mb": encoder_peak,
        "messages": handled,
        "sent": sent,
        "steps": steps.seconds,
    }


def wal_position() -> tuple | None:
    """PostgreSQL's WAL position and checkpoint counts (server-wide: on a quiet server, this send's), or None."""
    if db.engine.dialect.name != "postgresql":
        return None
    with db.engine.connect() as connection:
        return tuple(
            connection.execute(
                text("SELECT pg_current_wal_lsn(), checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter")
            ).one()
        )


def wal_written(before: tuple | None) -> dict | None:
    """WAL the send wrote (MB) and the checkpoints meanwhile: each checkpoint makes the next change of every page
    log the whole page again."""
    if before is None:
        return None
    with db.engine.connect() as connection:
        written = connection.scalar(text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), :lsn)"), {"lsn": before[0]})
        checkpoints = connection.scalar(text("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"))
    return {"mb": round(float(written) / 1e6, 1), "checkpoints": checkpoints - before[1]}


def backend_cpu_seconds() -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend serving this database, when the server runs on this host
    (read from /proc); empty otherwise (and on SQLite, whose work is the worker's own CPU). On a machine shared with
    other work, CPU time says what a send costs more steadily than the wall clock does."""
    if db.engine.dialect.name != "postgresql":
        return {}
    with db.engine.connect() as connection:
        pids = connection.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).all()
    used = {}
    for pid in pids:
        try:
            used[pid] = _cpu_seconds(pid)
        except OSError:
            return {}
    return used


def encoding_process() -> tuple[float, float]:
    """CPU seconds and peak memory (MB) of the worker's encoding process (see service/worker/batch_encoding.py): a
    child of its forkserver, itself a child of the worker; (0, 0) if there is none."""
    for server in _children(os.getpid()):
        for pid in _children(server):
            try:
                return _cpu_seconds(pid), _peak_mb(pid)
            except OSError:
                continue
    return 0.0, 0.0


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat(int(entry.name))[1]) == parent:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def peak_memory(result: dict) -> float:
    """The worker's peak memory and its encoding process's, together (MB)."""
    return result["peak_rss_mb"] + result["encoder_peak_rss_mb"]


def memory_figures(result: dict) -> str:
    return (
        f"{peak_memory(result):.1f} MB (worker {result['peak_rss_mb']:.1f} + its encoding process "
        f"{result['encoder_peak_rss_mb']:.1f})"
    )


def cpu_figures(result: dict) -> str:
    """The CPU a send used, and the shortest it could have taken on this machine's cores if the worker (with its
    encoding process), the database and the fake had always run at once; and the WAL it wrote."""
    used = (
        result["cpu_seconds"]
        + result["encoder_cpu_seconds"]
        + result["database_cpu_seconds"]
        + result["fake_cpu_seconds"]
    )
    cores = os.cpu_count() or 1
    wal = result["wal"]
    return (
        f"CPU: worker {result['cpu_seconds']:.2f}s + its encoding process {result['encoder_cpu_seconds']:.2f}s, "
        f"database {result['database_cpu_seconds']:.2f}s, fake SendGrid "
        f"{result['fake_cpu_seconds']:.2f}s: {used:.1f}s, at least {used / cores:.1f}s on {cores} cores"
        + (f"; WAL {wal['mb']:,.0f} MB, {wal['checkpoints']} checkpoints" if wal else "")
    )


def print_steps(db_name: str, result: dict) -> None:
    for step, seconds in sorted(result["steps"].items(), key=lambda item: -item[1]):
        print(f"[{db_name}]   {step}: {seconds:.2f}s ({seconds / result['seconds']:.0%})", flush=True)


def naive_send(database_url: str, fake_url: str, message_id: int, sample: int) -> dict:
    """The baseline: render per recipient, one request per recipient, one commit per delivery."""
    app = app_for(database_url, fake_url)
    with app.app_context():
        ctx = WorkerContext.from_config(app.config)
        message = db.session.get(Message, message_id)
        rows = audience_batch(db.session, [TOPIC], after_id=0, limit=sample)
        started = time.perf_counter()
        for row in rows:
            template = outgoing_email_for(message.campaign, message.issue, ctx.clinic, message.id)
            values = recipient_values(unsubscribe_url(ctx.clinic, SECRET_KEY, row.id), row.first_name)
            email = OutgoingEmail(
                subject=template.subject,
                html=apply_substitutions(template.html, values),
                text=apply_substitutions(template.text, values),
                headers={name: apply_substitutions(value, values) for name, value in template.headers.items()},
                categories=template.categories,
                custom_args=template.custom_args,
            )
            provider_id = ctx.email_channel.send_batch(email, [Recipient(email=row.email)])
            db.session.add(
                Delivery(
                    message_id=message.id, subscriber_id=row.id, channel="email", status="sent", provider_id=provider_id
                )
            )
            db.session.commit()
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "sample": len(rows)}


# -- the database -----------------------------------------------------------------------------------------------------


def composed_issue(sections: int = 1, images: int = 0) -> EmailIssue:
    """An email of `sections` sections, the first `images` of them with a library image (and the first as hero).

    One section and no image is the plain one-snippet email; bench/render.py also measures 5 sections, 3 images."""
    pictures = [
        Media(
            source_sha256=hashlib.sha256(f"bench-image-{uuid.uuid4().hex}".encode()).hexdigest(),
            original_filename=f"photo-{number}.jpg",
            alt_text=f"A calm treatment room, photo {number + 1}",
            format="jpeg",
            file_1x=f"{uuid.uuid4().hex}{number}.jpg",
            width_1x=1200,
            height_1x=800,
            bytes_1x=180_000,
            file_2x=f"{uuid.uuid4().hex}{number}x2.jpg",
            width_2x=2400,
            height_2x=1600,
            bytes_2x=520_000,
        )
        for number in range(images)
    ]
    issue = EmailIssue(
        position=0,
        subject="After a session: what helps",
        preheader="Three habits for the days that follow" if sections > 1 else "",
        intro="A few notes from our team this month." if sections > 1 else "",
        cta_label="Book a consultation" if sections > 1 else "",
        cta_url="https://clinic.example/book" if sections > 1 else "",
        sign_off="",
        hero=pictures[0] if pictures else None,
    )
    issue.sections = [
        Section(
            position=number,
            heading="After a session" if number == 0 else f"Part {number + 1}: what helps",
            body=BODY,
            image=pictures[number] if number < len(pictures) else None,
        )
        for number in range(sections)
    ]
    return issue


def fill_database(
    database_url: str, n: int, *, sections: int = 1, images: int = 0, schedule: bool = False
) -> dict[str, int]:
    """A fresh database's schema, N confirmed subscribers of one topic, and a campaign whose email message (an issue
    of `sections` sections and `images` images, see composed_issue) is due now
    (`schedule`: due SCHEDULE_AHEAD from now, so it is handed over to SendGrid ahead of its send time).

    Returns the ids of the due message and of a second message (not due) the naive baseline records its sends on.
    """
    app = app_for(database_url, "http://127.0.0.1:9")
    key = SECRET_KEY.encode()
    now = datetime.now(UTC)
    with app.app_context():
        # The schema as production has it: built by the migrations (their log lines kept out of the figures).
        with contextlib.redirect_stderr(io.StringIO()):
            upgrade(directory=str(REPO_ROOT / "migrations"))
        if db.engine.dialect.name == "postgresql":
            # COPY, as imports do: row-at-a-time statements would each run the audience counts' triggers.
            raw = db.engine.raw_connection()
            try:
                fill_subscribers(raw.driver_connection, n, SECRET_KEY, topics=(TOPIC,))
                raw.commit()
            finally:
                raw.close()
        else:
            _insert_subscribers(n, key, now)
        campaign = Campaign(
            name="Bench",
            slug=f"bench-{uuid.uuid4().hex[:8]}",
            status="scheduled",
            send_email=True,
            send_post=False,
            email_subject="After a session: what helps",
            topics=[TOPIC],
            issues=[composed_issue(sections, images)],
        )
        db.session.add(campaign)
        db.session.flush()
        issue_id = campaign.issues[0].id
        send_at = now + SCHEDULE_AHEAD if schedule else now
        due = Message(campaign_id=campaign.id, issue_id=issue_id, channel="email", send_at=send_at)
        later = Message(campaign_id=campaign.id, issue_id=issue_id, channel="email", send_at=now + timedelta(days=30))
        db.session.add_all([due, later])
        db.session.commit()
        # Planner statistics, as a live database has them (autovacuum); a freshly bulk-loaded table has none.
        with db.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
        ids = {"due": due.id, "later": later.id}
        db.session.remove()
        db.engine.dispose()
    return ids


def _insert_subscribers(n: int, key: bytes, now: datetime) -> None:
    with db.engine.begin() as connection:
        for start in range(1, n + 1, INSERT_CHUNK):
            ids = range(start, min(n, start + INSERT_CHUNK - 1) + 1)
            connection.execute(insert(Subscriber), [_subscriber(number, key, now) for number in ids])
            connection.execute(insert(SubscriberTopic), [{"subscriber_id": number, "topic": TOPIC} for number in ids])


def _subscriber(number: int, key: bytes, now: datetime) -> dict:
    address = f"reader{number:07d}@example{number % 97}.org"
    digest = hmac.new(key, normalize_email(address).encode(), hashlib.sha256).hexdigest()
    return {
        "id": number,
        "email": address,
        "email_hash": digest,
        "first_name": f"Reader{number}" if number % 3 else "",
        "status": "confirmed",
        "consent_at": now,
        "consent_source": "import",
        "confirmed_at": now,
        "created_at": now,
    }


class PostgresDatabase:
    """A throw-away database on the local PostgreSQL server."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url
        self.name = f"tidings_bench_{uuid.uuid4().hex[:8]}"

    def __enter__(self) -> str:
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        return f"{self.admin_url.rsplit('/', 1)[0]}/{self.name}".replace("postgresql://", "postgresql+psycopg://", 1)

    def __exit__(self, *exc_info) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def postgres_reachable(admin_url: str) -> bool:
    try:
        psycopg.connect(admin_url, autocommit=True, connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


# -- the measurement (this process) -----------------------------------------------------------------------------------


def in_subprocess(*args: str) -> dict:
    """Run this script in `--child` mode and return the JSON it prints last."""
    result = subprocess.run(
        [sys.executable, __file__, "--child", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"the worker subprocess failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def send_to(database_url: str, fake, n: int) -> dict:
    before_requests, before_recipients = len(fake.requests), fake.accepted_personalizations
    # This process does nothing but serve the fake meanwhile: its CPU is the fake's, which shares the cores.
    fake_cpu_before = time.process_time()
    result = in_subprocess("send", database_url, fake.url)
    result["fake_cpu_seconds"] = time.process_time() - fake_cpu_before
    result["requests"] = len(fake.requests) - before_requests
    result["recipients"] = fake.accepted_personalizations - before_recipients
    if result["recipients"] != n or result["sent"] != n:
        raise RuntimeError(f"expected {n} recipients, SendGrid got {result['recipients']} (sent: {result['sent']})")
    return result


SCHEDULE_PAIRS = 3


def measure_schedule(db_name: str, database_url_for, fake, n: int) -> dict:
    """The hand-over path against the direct one, in SCHEDULE_PAIRS pairs run back to back, each send on a fresh
    database: this machine's speed drifts by a third within minutes, so each pair's ratio compares like with like,
    and the median ratio is the figure."""
    ratios, rates = [], []
    for pair in range(1, SCHEDULE_PAIRS + 1):
        seconds = {}
        for path, schedule in (("direct", False), ("hand-over", True)):
            with database_url_for() as url:
                fill_database(url, n, schedule=schedule)
                seconds[path] = send_to(url, fake, n)["seconds"]
        ratios.append(seconds["direct"] / seconds["hand-over"])
        rates.append(n / seconds["hand-over"])
        print(
            f"[{db_name}] pair {pair}: direct {seconds['direct']:.2f}s, hand-over (send_at, a batch_id per request) "
            f"{seconds['hand-over']:.2f}s = {ratios[-1]:.2f}x the direct path's rate",
            flush=True,
        )
    median = statistics.median(ratios)
    print(f"[{db_name}] hand-over: median {median:.2f}x the direct path's rate over {SCHEDULE_PAIRS} pairs", flush=True)
    return {
        "schedule_recipients_per_second": round(statistics.median(rates)),
        "schedule_vs_direct": round(median, 3),
        "schedule_vs_direct_pairs": [round(ratio, 3) for ratio in ratios],
    }


def measure(
    db_name: str, database_url_for, fake, n: int, sample: int, tenfold: bool, *, sections: int = 1, images: int = 0
) -> dict:
    with database_url_for() as url:
        started = time.perf_counter()
        ids = fill_database(url, n, sections=sections, images=images)
        print(f"[{db_name}] {n:,} subscribers stored in {time.perf_counter() - started:.1f}s", flush=True)
        main = send_to(url, fake, n)
        rate = n / main["seconds"]
        print(
            f"[{db_name}] N={n:,}: {main['seconds']:.2f}s, {rate:,.0f} recipients/s, {main['requests']} requests, "
            f"peak RSS {memory_figures(main)}; {cpu_figures(main)}; the encoding process, started beforehand as a "
            f"worker's first large send starts it, took {main['encoder_start_seconds']:.1f}s to start",
            flush=True,
        )
        print_steps(db_name, main)
        naive = in_subprocess("naive", url, fake.url, str(ids["later"]), str(sample))
        naive_rate = naive["sample"] / naive["seconds"]
        naive_seconds = n / naive_rate
        print(
            f"[{db_name}] naive baseline (render + one request + one commit per recipient): {naive['sample']:,} sends "
            f"timed in {naive['seconds']:.2f}s = {naive_rate:,.0f}/s, extrapolated to N: {naive_seconds:,.0f}s "
            f"(a sample, not a full naive send); speedup {naive_seconds / main['seconds']:.0f}x",
            flush=True,
        )
    peak_10x = seconds_10x = None
    if tenfold:
        with database_url_for() as url:
            started = time.perf_counter()
            fill_database(url, 10 * n, sections=sections, images=images)
            print(f"[{db_name}] {10 * n:,} subscribers stored in {time.perf_counter() - started:.1f}s", flush=True)
            big = send_to(url, fake, 10 * n)
            peak_10x, seconds_10x = peak_memory(big), big["seconds"]
            print(
                f"[{db_name}] 10N={10 * n:,}: {big['seconds']:.2f}s, {10 * n / big['seconds']:,.0f} recipients/s, "
                f"{big['requests']} requests, peak RSS {memory_figures(big)} "
                f"({peak_10x / peak_memory(main):.2f}x the peak at N); {cpu_figures(big)}",
                flush=True,
            )
            print_steps(db_name, big)
    return {
        "n": n,
        "db": db_name,
        "seconds": round(main["seconds"], 3),
        "cpu_seconds": round(main["cpu_seconds"], 3),
        "database_cpu_seconds": round(main["database_cpu_seconds"], 3),
        "recipients_per_second": round(rate),
        "requests": main["requests"],
        "peak_rss_mb": round(peak_memory(main), 1),
        "encoder_cpu_seconds": round(main["encoder_cpu_seconds"], 3),
        "encoder_peak_rss_mb": round(main["encoder_peak_rss_mb"], 1),
        "seconds_10x": round(seconds_10x, 3) if seconds_10x is not None else None,
        "peak_rss_mb_10x": round(peak_10x, 1) if peak_10x is not None else None,
        "speedup_vs_naive": round(naive_seconds / main["seconds"], 1),
    }


class SQLiteDatabase:
    def __init__(self, folder: Path):
        self.path = folder / f"bench-{uuid.uuid4().hex[:8]}.db"

    def __enter__(self) -> str:
        return f"sqlite:///{self.path}"

    def __exit__(self, *exc_info) -> None:
        self.path.unlink(missing_ok=True)


def child(args: list[str]) -> None:
    mode, database_url, fake_url, *rest = args
    if mode == "send":
        result = worker_send(database_url, fake_url)
    else:
        result = naive_send(database_url, fake_url, int(rest[0]), int(rest[1]))
    print(json.dumps(result))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="confirmed subscribers (default 100,000)")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), help="one database only (default: both)")
    parser.add_argument("--naive-sample", type=int, default=2000, help="recipients the naive baseline sends")
    parser.add_argument("--no-10x", action="store_true", help="skip the 10×N run (quicker; no memory comparison)")
    parser.add_argument("--schedule", action="store_true", help="also measure the hand-over path (send_at, batch_id)")
    args = parser.parse_args()

    from tests.fakes.sendgrid_server import FakeSendGrid

    admin_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)
    spec = REPO_ROOT / "tests" / "contracts" / "sendgrid" / "tsg_mail_v3.json"
    results = []
    with tempfile.TemporaryDirectory() as folder, FakeSendGrid(spec, validate=False, record_bodies=False) as fake:
        databases = [args.db] if args.db else ["sqlite", "postgresql"]
        for name in databases:
            if name == "postgresql" and not postgres_reachable(admin_url):
                print(f"[postgresql] not reachable at {admin_url}, skipped", flush=True)
                continue
            factory = (
                (lambda: PostgresDatabase(admin_url))
                if name == "postgresql"
                else (lambda: SQLiteDatabase(Path(folder)))
            )
            result = measure(name, factory, fake, args.n, min(args.naive_sample, args.n), not args.no_10x)
            if args.schedule:
                result.update(measure_schedule(name, factory, fake, args.n))
            results.append(result)
    for result in results:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
