"""Rate limits are shared by every web worker: the Procfile's gunicorn (three workers) counting in Redis lets
exactly SIGNUP_RATE_LIMIT signups through, not that many per worker."""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

from service import create_app
from service.extensions import db
from service.settings import REPO_ROOT
from tests.app_config import base_config
from tests.environment import missing
from tests.ports import unused_port

REDIS = ("127.0.0.1", 6379)
SIGNUPS = 15


def redis_is_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def web_command() -> str:
    line = next(line for line in (REPO_ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    return line.removeprefix("web:").strip()


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_three_gunicorn_workers_share_one_signup_limit(tmp_path: Path):
    if not redis_is_up():
        missing(f"Redis at {REDIS[0]}:{REDIS[1]}")
    database = f"sqlite:///{tmp_path / 'tidings.db'}"
    schema_app = create_app(base_config(tmp_path, database))
    with schema_app.app_context():
        db.create_all()
        db.engine.dispose()
    port = unused_port()
    env = {
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "PORT": str(port),
        "TIDINGS_ENV": "development",
        "DATABASE_URL": database,
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "RATELIMIT_STORAGE_URI": f"redis://{REDIS[0]}:{REDIS[1]}",
        # This run's own counters: parallel test runs share the Redis.
        "RATELIMIT_KEY_PREFIX": f"tidings-test-{uuid.uuid4().hex}",
        "SIGNUP_RATE_LIMIT": "5 per minute",
    }
    command = web_command()
    assert "--workers 3" in command
    log_path = tmp_path / "web.log"
    with log_path.open("wb") as log:
        web = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=REPO_ROOT, env=env, stdout=log, stderr=log)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/healthz")
        answers = []
        for number in range(SIGNUPS):
            # A new connection each time (no keep-alive), so the three workers take turns.
            response = requests.post(
                f"{base}/api/subscribe",
                json={"email": f"limit{number}@example.org", "topics": ["newsletter"]},
                headers={"Connection": "close"},
                timeout=10,
            )
            answers.append(response.status_code)
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)
    assert answers.count(202) == 5, (answers, log_path.read_text("utf-8", errors="replace")[-3000:])
    assert answers.count(429) == SIGNUPS - 5
