"""The production web process (the Procfile's `web` line, real gunicorn) logs requests without subscribers' link
tokens: a token stands for one subscriber, so a log reader could otherwise change what they receive."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from service.settings import REPO_ROOT
from service.web.access_log import without_tokens
from tests.ports import unused_port

TOKENS = ("Zm9yLXRoZS1sb2c.aGVsbG8.c2lnbmF0dXJl", "MTIz.YWJj.ZGVm", "NDU2.Z2hp.amts")


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


def test_the_procfile_web_process_logs_routes_but_never_a_subscribers_token(tmp_path: Path):
    port = unused_port()
    env = {
        "HOME": os.environ.get("HOME", str(tmp_path)),
        # The virtualenv's gunicorn first, as `make run` and the platform's buildpack would have it.
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "PORT": str(port),
        "TIDINGS_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tidings.db'}",
        "OUTBOX_DIR": str(tmp_path / "outbox"),
    }
    log_path = tmp_path / "web.log"
    with log_path.open("wb") as log:
        web = subprocess.Popen(["bash", "-c", f"exec {web_command()}"], cwd=REPO_ROOT, env=env, stdout=log, stderr=log)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/healthz")
        unsubscribe, preferences, confirm = TOKENS
        requests.get(f"{base}/unsubscribe/{unsubscribe}", timeout=10)
        requests.post(f"{base}/unsubscribe/{unsubscribe}", data={"List-Unsubscribe": "One-Click"}, timeout=10)
        requests.get(f"{base}/preferences/{preferences}?saved=1", timeout=10)
        requests.get(f"{base}/confirm/{confirm}", headers={"Referer": f"{base}/confirm/{confirm}"}, timeout=10)
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)

    logged = log_path.read_text("utf-8", errors="replace")
    assert re.search(r'"GET /unsubscribe/\[token\] HTTP/1\.1" \d{3}', logged), logged
    assert "/preferences/[token]" in logged and "/confirm/[token]" in logged
    for token in TOKENS:
        assert token not in logged


def test_only_the_token_part_of_a_link_is_dropped():
    assert without_tokens("GET /unsubscribe/abc.def HTTP/1.1") == "GET /unsubscribe/[token] HTTP/1.1"
    assert without_tokens("/preferences/abc?saved=1") == "/preferences/[token]?saved=1"
    assert without_tokens("GET /campaigns/12 HTTP/1.1") == "GET /campaigns/12 HTTP/1.1"
