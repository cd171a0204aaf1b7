"""Rate limits are shared by every web worker: the Procfile's gunicorn (three workers) counting in Redis lets
exactly SIGNUP_RATE_LIMIT signups through, not that many per worker."""

import socket
import uuid
from pathlib import Path

import requests

from service import create_app
from service.extensions import db
from tests.app_config import base_config
from tests.environment import missing
from tests.procfile_web import procfile_web, web_command

REDIS = ("127.0.0.1", 6379)
SIGNUPS = 15


def redis_is_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def test_three_gunicorn_workers_share_one_signup_limit(tmp_path: Path):
    if not redis_is_up():
        missing(f"Redis at {REDIS[0]}:{REDIS[1]}")
    database = f"sqlite:///{tmp_path / 'tidings.db'}"
    schema_app = create_app(base_config(tmp_path, database))
    with schema_app.app_context():
        db.create_all()
        db.engine.dispose()
    env = {
        "TIDINGS_ENV": "development",
        "DATABASE_URL": database,
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "RATELIMIT_STORAGE_URI": f"redis://{REDIS[0]}:{REDIS[1]}",
        # This run's own counters: parallel test runs share the Redis.
        "RATELIMIT_KEY_PREFIX": f"tidings-test-{uuid.uuid4().hex}",
        "SIGNUP_RATE_LIMIT": "5 per minute",
    }
    assert "--workers 3" in web_command()
    answers = []
    with procfile_web(tmp_path, env) as web:
        for number in range(SIGNUPS):
            # A new connection each time (no keep-alive), so the three workers take turns.
            response = requests.post(
                f"{web.base_url}/api/subscribe",
                json={"email": f"limit{number}@example.org", "topics": ["newsletter"]},
                headers={"Connection": "close"},
                timeout=10,
            )
            answers.append(response.status_code)
    assert answers.count(202) == 5, (answers, web.logged()[-3000:])
    assert answers.count(429) == SIGNUPS - 5
