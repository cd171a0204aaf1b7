"""Progress bars that follow the worker, both drawn by one script (progress.js): a campaign while it sends, and a
large subscriber import, whose page moves on to the check's report by itself."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.articles.store import import_article
from service.channels.email.outbox import OutboxEmailChannel
from service.extensions import db
from service.models import Campaign, User
from service.subscribers.import_jobs import run_next_import
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.browser.logins import log_in_as
from tests.factories import add_subscriber, approve_and_schedule, draft_campaign

pytestmark = pytest.mark.browser

ARTICLE = """# Visit notes

## Arrival
Come ten minutes early and bring a photo ID.
"""
CSV_HEADER = "email,first_name,topics,consent_date,consent_source\n"


class StopAfterOneBatch(OutboxEmailChannel):
    """The outbox channel, with the worker told to stop (as by SIGTERM) while its first batch is in hand."""

    ctx: WorkerContext

    def send_batch(self, email, recipients, observer=None, handover=None):
        self.ctx.stopping.set()
        return super().send_batch(email, recipients, observer, handover)


def worker(app, *, stop_after_one_batch: bool) -> WorkerContext:
    config = {**app.config, "EMAIL_BATCH_SIZE": 2}
    if not stop_after_one_batch:
        return WorkerContext.from_config(config)
    channel = StopAfterOneBatch(app.config["OUTBOX_DIR"], from_address="news@example.org", from_name="News")
    ctx = WorkerContext.from_config(config, email_channel=channel)
    channel.ctx = ctx
    return ctx


@pytest.fixture
def sending_campaign_id(live_app, live_users) -> int:
    """An email campaign to five subscribers, two of them sent when the worker stopped."""
    app = live_app
    with app.app_context():
        marketer = db.session.scalar(select(User).where(User.email == live_users["marketer"]))
        reviewer = db.session.scalar(select(User).where(User.email == live_users["reviewer"]))
        article = import_article(db.session, ARTICLE, filename="visit.md").article
        for number in range(5):
            add_subscriber(app, f"reader{number}@example.org")
        db.session.commit()
        now = datetime.now(UTC)
        send_at = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
        campaign = draft_campaign(app, marketer, [article.snippets[0].id], send_at, name="Visit", send_post=False)
        approve_and_schedule(app, campaign, marketer, reviewer, now)
        for message in campaign.messages:
            message.send_at = now - timedelta(seconds=1)
        db.session.commit()
        run_due_messages(db.session, worker(app, stop_after_one_batch=True))
        assert campaign.status == "sending"
        return campaign.id


def progress_scripts(page) -> list[str]:
    scripts = page.eval_on_selector_all("script[src]", "nodes => nodes.map(node => node.getAttribute('src'))")
    return [src for src in scripts if "progress" in src]


def test_the_campaign_page_follows_the_send_until_it_is_done(live_server, live_users, page, sending_campaign_id):
    log_in_as(page, live_server.url, live_users["marketer"])
    page.goto(f"{live_server.url}/campaigns/{sending_campaign_id}")
    assert progress_scripts(page) == ["/static/progress.js"]
    label = page.locator(".sending-progress [data-progress-label]")
    page.wait_for_function("() => document.querySelector('.sending-progress progress').value === 2")
    assert label.inner_text() == "Sending: 2 of 5 emails"

    with live_server.app.app_context():
        run_due_messages(db.session, worker(live_server.app, stop_after_one_batch=False))
        assert db.session.get(Campaign, sending_campaign_id).status == "sent"
    page.wait_for_function("() => document.querySelector('.sending-progress progress').value === 5")
    assert label.inner_text() == "Campaign is sent: 5 of 5 emails (sent)"


def test_a_large_import_shows_how_far_the_check_got_then_its_report(live_server, live_users, page):
    live_server.app.config["SUBSCRIBER_IMPORT_INLINE_MAX_BYTES"] = 2000
    rows = "".join(f"r{number}@example.org,R,newsletter,2025-11-03,front desk\n" for number in range(200))
    log_in_as(page, live_server.url, live_users["marketer"])
    page.goto(f"{live_server.url}/subscribers/import")
    page.set_input_files(
        "input[name=upload]",
        {"name": "big.csv", "mimeType": "text/csv", "buffer": (CSV_HEADER + rows).encode()},
    )
    page.click("button:has-text('Check the file')")
    page.wait_for_selector(".import-progress progress")
    assert progress_scripts(page) == ["/static/progress.js"]
    assert "bytes checked" in page.locator(".import-progress [data-progress-label]").inner_text()

    with page.expect_navigation(), live_server.app.app_context():
        assert run_next_import(db.session, live_server.app.config, "worker-test", datetime.now(UTC)) is True
    page.wait_for_selector("text=The file is clean")
    assert page.url.startswith(f"{live_server.url}/subscribers/imports/")
