"""A CSV too large to check while a person waits goes to the worker (a job row), with a progress bar on its page;
uploads nobody confirmed, and failed ones, leave no file of addresses behind for more than an hour."""

import io
import os
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.extensions import db
from service.models import ImportJob, Subscriber
from service.subscribers import uploads
from service.subscribers.import_jobs import run_next_import
from service.worker.context import WorkerContext
from service.worker.scheduler import DISCARD_UPLOADS_SECONDS, build_scheduler

HEADER = "email,first_name,topics,consent_date,consent_source\n"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SUBSCRIBER_IMPORT_INLINE_MAX_BYTES": 2000}


def big_csv(rows: int = 200, bad_line: bool = False) -> bytes:
    lines = [f"r{number}@example.org,R,newsletter,2025-11-03,front desk\n" for number in range(rows)]
    if bad_line:
        lines.append("not-an-address,R,newsletter,2025-11-03,front desk\n")
    return (HEADER + "".join(lines)).encode()


def upload(client, body: bytes):
    return client.post("/subscribers/import", data={"upload": (io.BytesIO(body), "big.csv")})


def work(app) -> bool:
    """One run of the worker's import job, as the scheduler runs it."""
    return run_next_import(db.session, app.config, "worker-test", datetime.now(UTC))


def files(app) -> list[str]:
    return sorted(path.name for path in Path(app.config["SUBSCRIBER_IMPORT_DIR"]).glob("*"))


def test_a_large_file_is_checked_then_imported_by_the_worker(app, as_role):
    client = as_role("marketer")
    response = upload(client, big_csv())
    assert response.status_code == 302
    page_url = response.headers["Location"]
    upload_id = page_url.rstrip("/").rsplit("/", 1)[1]
    job = db.session.scalar(select(ImportJob))
    assert (job.upload_id, job.status, job.bytes_total) == (upload_id, "checking", len(big_csv()))

    waiting = client.get(page_url).get_data(as_text=True)
    assert "<progress" in waiting and 'src="/static/progress.js"' in waiting
    assert client.get(f"{page_url}/progress").get_json() == {"status": "checking", "done": 0, "total": job.bytes_total}

    assert work(app) is True
    report = client.get(page_url).get_data(as_text=True)
    assert "The file is clean" in report and "Confirm import" in report
    assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 0

    action = re.search(r'action="(/subscribers/import/[^"]+)"', report).group(1)
    assert client.post(action).status_code == 302
    assert client.get(f"{page_url}/progress").get_json()["status"] == "importing"
    assert work(app) is True
    assert db.session.scalar(select(func.count()).select_from(Subscriber)) == 200
    assert client.get(page_url).status_code == 302  # done: on to the list, with the summary
    assert files(app) == []
    assert work(app) is False


def test_a_file_with_bad_rows_is_reported_and_deleted(app, as_role):
    client = as_role("marketer")
    page_url = upload(client, big_csv(bad_line=True)).headers["Location"]
    work(app)
    page = client.get(page_url).get_data(as_text=True)
    assert "1 bad row" in page and "Confirm import" not in page
    assert files(app) == []


def test_a_job_whose_file_is_gone_fails_with_a_message(app, as_role):
    client = as_role("marketer")
    page_url = upload(client, big_csv()).headers["Location"]
    for path in Path(app.config["SUBSCRIBER_IMPORT_DIR"]).glob("*"):
        path.unlink()
    work(app)
    page = client.get(page_url).get_data(as_text=True)
    assert "The uploaded file is gone" in page
    assert db.session.scalar(select(ImportJob.status)) == "failed"


def test_small_files_are_still_checked_at_once(app, as_role):
    client = as_role("marketer")
    response = upload(client, big_csv(rows=3))
    assert response.status_code == 200 and "The file is clean" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 0


def test_abandoned_uploads_are_deleted_within_the_hour(app, tmp_path):
    folder = tmp_path / "uploads"
    folder.mkdir()
    old, fresh = folder / f"{'a' * 22}.rows", folder / f"{'b' * 22}.csv"
    for path in (old, fresh):
        path.write_text("email\nsomeone@example.org\n")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    assert uploads.discard_stale(folder) == 1
    assert not old.exists() and fresh.exists()
    # The worker runs the clean-up often enough that nothing outlives the hour.
    assert uploads.STALE_AFTER_SECONDS + DISCARD_UPLOADS_SECONDS <= 3600
    scheduler = build_scheduler(app, WorkerContext.from_config(app.config))
    assert {"run-subscriber-imports", "discard-stale-uploads"} <= {job.id for job in scheduler.get_jobs()}
