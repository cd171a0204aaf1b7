"""Browser fixtures (shared by every browser test; extend, don't replace): a live server and a Chromium page.

The app runs in a thread of the test process on a SQLite file, served by werkzeug on 127.0.0.1; Playwright drives
Debian's Chromium at /usr/bin/chromium (Playwright's own browser download does not work here).
"""

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from service import create_app
from service.extensions import db
from tests.app_config import base_config
from tests.browser.live_server import LiveServer
from tests.browser.logins import PASSWORD
from tests.environment import missing
from tests.factories import make_user

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


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
