"""The campaign page's progress bar: the JSON it polls, and the page parts that poll it."""

from datetime import UTC, datetime, timedelta

import pytest

from service.channels.email.outbox import OutboxEmailChannel
from service.extensions import db
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from tests.factories import add_subscriber, approve_and_schedule, draft_campaign, import_seed


class StopAfterOneBatch(OutboxEmailChannel):
    """The outbox channel, with the worker told to stop (as by SIGTERM) while its first batch is in hand."""

    ctx: WorkerContext

    def send_batch(self, email, recipients, observer=None, handover=None):
        self.ctx.stopping.set()
        return super().send_batch(email, recipients, observer, handover)


@pytest.fixture
def campaign(app, marketer, reviewer, seed_article_text):
    """An email + X campaign to five subscribers, due now."""
    article = import_seed(seed_article_text)
    for number in range(5):
        add_subscriber(app, f"reader{number}@example.org")
    now = datetime.now(UTC)
    send_at = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
    campaign = draft_campaign(app, marketer, [article.snippets[0].id], send_at)
    approve_and_schedule(app, campaign, marketer, reviewer, now)
    for message in campaign.messages:
        message.send_at = now - timedelta(seconds=1)
    db.session.commit()
    return campaign


def stopping_worker(app) -> WorkerContext:
    channel = StopAfterOneBatch(
        app.config["OUTBOX_DIR"], from_address="news@example.org", from_name="News from the clinic"
    )
    ctx = WorkerContext.from_config({**app.config, "EMAIL_BATCH_SIZE": 2}, email_channel=channel)
    channel.ctx = ctx
    return ctx


def test_before_anything_starts_there_is_no_progress(marketer_client, campaign):
    response = marketer_client.get(f"/campaigns/{campaign.id}/progress")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json == {"status": "scheduled", "sent": 0, "total": 0, "messages": []}


def test_progress_mid_send_counts_what_went_out_against_the_audience_at_the_start(app, marketer_client, campaign):
    run_due_messages(db.session, stopping_worker(app))
    email = next(m for m in campaign.messages if m.channel == "email")
    post = next(m for m in campaign.messages if m.channel == "x")

    body = marketer_client.get(f"/campaigns/{campaign.id}/progress").json

    assert body["status"] == "sending"
    by_channel = {m["channel"]: m for m in body["messages"]}
    assert by_channel["email"] == {"id": email.id, "channel": "email", "status": "sending", "sent": 2, "total": 5}
    assert by_channel["x"] == {"id": post.id, "channel": "x", "status": "planned", "sent": 0, "total": 0}
    assert (body["sent"], body["total"]) == (2, 5)


def test_progress_when_the_send_is_done(app, marketer_client, campaign):
    run_due_messages(db.session, WorkerContext.from_config(app.config))
    post = next(m for m in campaign.messages if m.channel == "x")

    body = marketer_client.get(f"/campaigns/{campaign.id}/progress").json

    assert body["status"] == "sent"
    assert {m["channel"]: (m["sent"], m["total"]) for m in body["messages"]} == {
        "email": (5, 5),
        "x": (post.total_count, post.total_count),
    }
    assert body["sent"] == body["total"] == 5 + post.total_count


def test_the_campaign_page_shows_a_polling_progress_bar_only_while_sending(app, marketer_client, campaign):
    page = marketer_client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "<progress" not in page

    run_due_messages(db.session, stopping_worker(app))
    page = marketer_client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)

    assert f'data-progress-url="/campaigns/{campaign.id}/progress"' in page
    assert "<progress" in page
    assert 'src="/static/progress.js"' in page
    script = marketer_client.get("/static/progress.js")
    assert script.status_code == 200
    assert b"data-progress-url" in script.data and b"2000" in script.data
    script.close()


def test_progress_needs_a_login_and_a_real_campaign(client, marketer_client, campaign):
    assert marketer_client.get("/campaigns/999/progress").status_code == 404
    marketer_client.post("/logout")
    assert client.get(f"/campaigns/{campaign.id}/progress").status_code == 302
