"""The Procfile's `web` line (real gunicorn) started as the platform would, for tests that read what it logs."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from service.settings import REPO_ROOT
from tests.ports import unused_port


def web_command() -> str:
    line = next(line for line in (REPO_ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    return line.removeprefix("web:").strip()


@dataclass(frozen=True)
class RunningWeb:
    base_url: str
    log_path: Path

    def logged(self) -> str:
        """Everything gunicorn and the app wrote (stdout and stderr): read it after the `with` block has ended."""
        return self.log_path.read_text("utf-8", errors="replace")


@contextmanager
def procfile_web(tmp_path: Path, env: dict[str, str]) -> Iterator[RunningWeb]:
    """Start the web process with `env` (plus PORT, HOME and the virtualenv first on PATH), wait until it answers
    /healthz, and stop it with SIGTERM on leaving, so its log is complete afterwards."""
    port = unused_port()
    full_env = {
        "HOME": os.environ.get("HOME", str(tmp_path)),
        # The virtualenv's gunicorn first, as `make run` and the platform's buildpack would have it.
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "PORT": str(port),
        **env,
    }
    log_path = tmp_path / "web.log"
    with log_path.open("wb") as log:
        web = subprocess.Popen(
            ["bash", "-c", f"exec {web_command()}"], cwd=REPO_ROOT, env=full_env, stdout=log, stderr=log
        )
    running = RunningWeb(f"http://127.0.0.1:{port}", log_path)
    try:
        _wait_for(f"{running.base_url}/healthz")
        yield running
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)


def _wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
