"""Browser fixtures (shared by every browser test; extend, don't replace): a live server and a Chromium page.

The app runs in a thread of the test process on a SQLite file, served by werkzeug on 127.0.0.1; Playwright drives
Debian's Chromium at /usr/bin/chromium (Playwright's own browser download does not work here).
"""

import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from service import create_app
from service.extensions import db
from tests.conftest import base_config, make_user, missing

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct-horse-battery"


class LiveServer:
    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def live_app(tmp_path):
    config = base_config(tmp_path, f"sqlite:///{tmp_path / 'browser.db'}")
    config["PUBLIC_BASE_URL"] = "http://127.0.0.1"  # replaced below once the port is known
    app = create_app(config)
    with app.app_context():
        db.create_all()
    return app


@pytest.fixture
def live_server(live_app):
    server = LiveServer(live_app)
    live_app.config["PUBLIC_BASE_URL"] = server.url
    server.start()
    yield server
    server.stop()
    with live_app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        missing("Chromium at /usr/bin/chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def live_users(live_app):
    """A marketer and a reviewer in the live app's database, both with password PASSWORD."""
    with live_app.app_context():
        marketer = make_user("marketer@example.org", "marketer", PASSWORD)
        reviewer = make_user("reviewer@example.org", "reviewer", PASSWORD)
        return {"marketer": marketer.email, "reviewer": reviewer.email}


def log_in_as(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/campaigns")


def log_out(page) -> None:
    page.click("text=Log out")
