"""No address in any log line or URL, through a whole signup -> confirm -> send -> unsubscribe cycle over HTTP.

The app is served by a real werkzeug server, so its access log (every request line, with its path) is captured
along with every other log record at DEBUG.
"""

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
from flask import request, request_started
from sqlalchemy import select

from service.extensions import db
from service.models import Subscriber
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.browser.live_server import LiveServer
from tests.factories import approve_and_schedule, draft_campaign, import_seed
from tests.subscribers.helpers import ONE_CLICK_BODY

FORM_ADDRESS = "Privacy.Person+KAP@Example.org"
API_ADDRESS = "json.reader@example.net"
BAD_ADDRESS = "typo..person@example.org"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def forbidden_fragments() -> list[str]:
    fragments = []
    for address in (FORM_ADDRESS, API_ADDRESS, BAD_ADDRESS):
        local = address.split("@")[0]
        fragments += [
            address.lower(),
            local.lower(),
            address.lower().replace("@", "%40"),
            local.lower().replace("+", "%2b"),
        ]
    return fragments


@pytest.fixture
def served(app):
    server = LiveServer(app)
    app.config["PUBLIC_BASE_URL"] = server.url
    server.start()
    yield server
    server.stop()


def csrf_token(http: requests.Session, url: str) -> str:
    return CSRF.search(http.get(url, timeout=10).text).group(1)


def test_no_address_in_logs_or_urls_through_a_whole_cycle(
    app, served, caplog, marketer, reviewer, seed_article_text, outbox
):
    caplog.set_level(logging.DEBUG)
    requested: list[str] = []

    def remember_url(sender, **extra):
        requested.append(request.url)

    request_started.connect(remember_url, app)
    base = served.url
    http = requests.Session()

    # Sign up on the form (once mistyped), and through the JSON endpoint.
    bad = http.post(f"{base}/subscribe", data={"csrf_token": csrf_token(http, f"{base}/subscribe"),
                                               "email": BAD_ADDRESS, "topics": "kap"}, timeout=10)  # fmt: skip
    assert bad.status_code == 400
    signup = http.post(
        f"{base}/subscribe",
        data={"csrf_token": csrf_token(http, f"{base}/subscribe"), "email": FORM_ADDRESS, "first_name": "Pat",
              "topics": ["kap", "newsletter"]},
        timeout=10,
    )  # fmt: skip
    assert signup.status_code == 200 and "Check your email" in signup.text
    api = http.post(f"{base}/api/subscribe", json={"email": API_ADDRESS, "topics": ["newsletter"]}, timeout=10)
    assert api.status_code == 202

    # Confirm both from the emails.
    for address in (FORM_ADDRESS.lower(), API_ADDRESS):
        [confirmation] = outbox.emails_arriving(address)
        confirm_url = confirmation.link("/confirm/")
        assert http.get(confirm_url, timeout=10).status_code == 200
        assert "You are subscribed" in http.post(confirm_url, timeout=10).text

    # A marketer looks the address up.
    http.post(f"{base}/login", data={"csrf_token": csrf_token(http, f"{base}/login"), "email": marketer.email,
                                     "password": "correct-horse-battery"}, timeout=10)  # fmt: skip
    found = http.post(
        f"{base}/subscribers/search",
        data={"csrf_token": csrf_token(http, f"{base}/subscribers"), "email": FORM_ADDRESS},
        timeout=10,
    )
    assert re.search(r"/subscribers/\d+$", found.url)

    # The worker sends a newsletter; one reader leaves with the one-click POST from its headers.
    article = import_seed(seed_article_text)
    now = datetime.now(UTC)
    send_at = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
    campaign = draft_campaign(app, marketer, [article.snippets[1].id], send_at, send_post=False)
    approve_and_schedule(app, campaign, marketer, reviewer, now)
    run_due_messages(db.session, WorkerContext.from_config(app.config, clock=lambda: send_at + timedelta(seconds=1)))
    newsletter = next(m for m in outbox.emails_to(FORM_ADDRESS.lower()) if m["Subject"] == "News from the clinic")
    one_click = requests.post(
        newsletter.list_unsubscribe_url,
        data=ONE_CLICK_BODY,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert one_click.status_code == 200
    db.session.expire_all()
    statuses = dict(db.session.execute(select(Subscriber.email, Subscriber.status)).tuples().all())
    assert statuses == {FORM_ADDRESS.lower(): "unsubscribed", API_ADDRESS: "confirmed"}

    request_started.disconnect(remember_url, app)
    lines = [record.getMessage() + "\n" + (record.exc_text or "") for record in caplog.records]
    access_lines = [line for line in lines if '"POST /confirm/' in line or '"POST /unsubscribe/' in line]
    assert len(access_lines) >= 3, "the server's access log was captured"
    assert any("unsubscribed" in line for line in lines)
    for fragment in forbidden_fragments():
        leaks = [line for line in lines if fragment in line.lower()]
        assert not leaks, f"an address fragment appears in the logs: {leaks[:3]}"
        assert not [url for url in requested if fragment in url.lower()], "an address appears in a URL"
    assert len(requested) >= 12
