"""The campaign report: SendGrid's signed events and Tidings' own unsubscribe links become its numbers, once each,
counted for the message they came from; the CSV says the same. Its posts on X show the totals the worker read."""

import csv
import hashlib
import io
import json
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from service.campaigns.report import campaign_report
from service.extensions import db
from service.worker.context import WorkerContext
from service.worker.dispatch import run_due_messages
from service.worker.post_metrics import fetch_post_metrics
from tests.factories import add_subscriber
from tests.fakes.sendgrid_event_signer import EventSigner
from tests.worker.email_settings import sendgrid_settings
from tests.worker.processes import due_campaign
from tests.worker.x_posts import due_x_campaign, x_settings

SIGNER = EventSigner()
ADDRESSES = [f"{name}@example.org" for name in ("ann", "ben", "cat", "dan", "eve", "fay")]


@pytest.fixture
def app_config(app_config, fake_sendgrid):
    return {**app_config, **sendgrid_settings(fake_sendgrid), "SENDGRID_WEBHOOK_PUBLIC_KEY": SIGNER.public_key}


@pytest.fixture
def sent_campaign(app, fake_sendgrid, seed_article_text):
    for address in ADDRESSES:
        add_subscriber(app, address)
    campaign = due_campaign(app, seed_article_text)
    run_due_messages(db.session, WorkerContext.from_config(app.config))
    return campaign


def post_events(client, events: list[dict]):
    body = json.dumps(events, separators=(",", ":")).encode()
    return client.post("/webhooks/sendgrid", data=body, headers=SIGNER.headers(body))


def event(name: str, email: str, message_id: int, **extra) -> dict:
    return {
        "email": email,
        "timestamp": int(time.time()),
        "event": name,
        "sg_event_id": hashlib.sha256(f"{name} {email} {extra}".encode()).hexdigest()[:22],
        "message_id": str(message_id),
        **extra,
    }


def unsubscribe_links(fake_sendgrid) -> dict[str, tuple[str, str]]:
    """Each recipient's (visible link, List-Unsubscribe header URL), from what SendGrid was handed."""
    links = {}
    for mail in fake_sendgrid.requests:
        for personalization in mail.body["personalizations"]:
            address = personalization["to"][0]["email"]
            visible = next(v for v in personalization["substitutions"].values() if "/unsubscribe/" in v)
            header = personalization["headers"]["List-Unsubscribe"].strip("<>")
            links[address] = (visible, header)
    return links


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_signed_events_become_the_reports_numbers_once_each(client, sent_campaign):
    message_id = sent_campaign.messages[0].id
    events = [
        event("delivered", ADDRESSES[0], message_id),
        event("delivered", ADDRESSES[1], message_id),
        event("delivered", ADDRESSES[2], message_id),
        event("deferred", ADDRESSES[3], message_id),
        event("bounce", ADDRESSES[4], message_id, type="bounce"),
        event("bounce", ADDRESSES[5], message_id, type="blocked"),
        event("spamreport", ADDRESSES[0], message_id),
    ]

    assert post_events(client, events).status_code == 200
    assert post_events(client, events).get_json()["duplicates"] == len(events)  # a retried webhook counts nothing

    figures = campaign_report(db.session, sent_campaign).totals
    assert (figures.recipients, figures.delivered, figures.deferred) == (6, 3, 1)
    assert (figures.hard_bounces, figures.soft_bounces, figures.complaints) == (1, 1, 1)
    assert figures.complaint_rate == pytest.approx(1 / 3)
    assert figures.hard_bounce_rate == pytest.approx(1 / 6)


def test_an_unsubscribe_through_the_link_or_the_one_click_header_counts_for_its_message(
    client, sent_campaign, fake_sendgrid
):
    links = unsubscribe_links(fake_sendgrid)
    visible, _ = links[ADDRESSES[0]]
    _, header = links[ADDRESSES[1]]

    assert client.post(path_of(visible)).status_code == 200
    assert client.post(path_of(visible)).status_code == 200  # the button pressed twice counts once
    one_click = client.post(path_of(header), data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200

    report = campaign_report(db.session, sent_campaign)
    assert [row.figures.unsubscribes for row in report.messages] == [2]


def test_the_report_page_names_its_units_and_the_csv_matches(auth, client, marketer, sent_campaign):
    message_id = sent_campaign.messages[0].id
    post_events(client, [event("delivered", address, message_id) for address in ADDRESSES[:4]])
    auth.login(marketer)

    page = client.get(f"/campaigns/{sent_campaign.id}/report").get_data(as_text=True)
    exported = client.get(f"/campaigns/{sent_campaign.id}/report.csv")

    assert "1 of 1 email message sent, to 6 recipients in all." in " ".join(page.split())
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [(row["message"], row["recipients"], row["delivered"]) for row in rows] == [
        (str(message_id), "6", "4"),
        ("total", "6", "4"),
    ]


def test_the_campaign_list_counts_messages_and_the_campaign_page_counts_recipients(
    auth, client, marketer, sent_campaign
):
    auth.login(marketer)

    listing = " ".join(client.get("/campaigns").get_data(as_text=True).split())
    page = " ".join(client.get(f"/campaigns/{sent_campaign.id}").get_data(as_text=True).split())

    assert "1 of 1 message" in listing
    assert "6 recipients" in page


def test_the_report_links_to_each_post_on_x(app, auth, client, marketer, fake_x, seed_article_text):
    app.config.update(x_settings(fake_x))
    campaign = due_campaign(app, seed_article_text, send_email=False, send_post=True)
    run_due_messages(db.session, WorkerContext.from_config(app.config))
    auth.login(marketer)

    page = client.get(f"/campaigns/{campaign.id}/report").get_data(as_text=True)

    post_ids = [post["id"] for post in fake_x.posts]
    assert post_ids and all(f"https://x.com/i/web/status/{post_id}" in page for post_id in post_ids)


def post_thread(app, fake_x, seed_article_text) -> tuple:
    """A campaign whose X thread of five posts went out: (campaign, the worker's context, the posts' ids)."""
    app.config.update(x_settings(fake_x))
    campaign = due_x_campaign(app, seed_article_text)
    ctx = WorkerContext.from_config(app.config)
    run_due_messages(db.session, ctx)
    return campaign, ctx, [post["id"] for post in fake_x.posts]


def count_and_read_metrics(fake_x, ctx: WorkerContext, post_ids: list[str]) -> None:
    """X counts the first two posts, the last one is deleted before X gave any figure, and the worker reads them."""
    root, first_reply, *rest = post_ids
    fake_x.set_metrics(root, impression_count=1200, like_count=30, retweet_count=4, reply_count=2, quote_count=1)
    fake_x.set_metrics(first_reply, impression_count=300, like_count=5)
    fake_x.delete_post(rest[-1])
    fetch_post_metrics(db.session, ctx.social_channel, datetime.now(UTC))


def test_the_report_shows_each_posts_public_metrics_and_the_threads_totals(
    app, auth, client, marketer, fake_x, seed_article_text
):
    campaign, ctx, post_ids = post_thread(app, fake_x, seed_article_text)
    auth.login(marketer)
    before = client.get(f"/campaigns/{campaign.id}/report").get_data(as_text=True)
    count_and_read_metrics(fake_x, ctx, post_ids)

    page = client.get(f"/campaigns/{campaign.id}/report")

    assert "Not read from X yet" in before
    html = page.get_data(as_text=True)
    rows = [[cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])] for row in table_rows(html)]
    assert rows[0] == ["Post", "Impressions", "Likes", "Reposts", "Replies", "Quotes"]
    assert rows[1] == ["Post", "1200", "30", "4", "2", "1"]
    assert rows[2] == ["Reply 1", "300", "5", "0", "0", "0"]
    assert rows[-2] == ["Reply 4 (no longer on X)", "not given", "0", "0", "0", "0"]  # gone before it was read
    assert rows[-1] == ["Whole thread", "1500", "35", "4", "2", "1"]
    assert "Aftercare: a thread of 5 posts" in html


def test_the_posts_csv_has_each_posts_link_and_metrics_and_the_threads_total(
    app, auth, client, marketer, fake_x, seed_article_text
):
    campaign, ctx, post_ids = post_thread(app, fake_x, seed_article_text)
    count_and_read_metrics(fake_x, ctx, post_ids)
    root, first_reply, *rest = post_ids
    auth.login(marketer)

    page = client.get(f"/campaigns/{campaign.id}/report").get_data(as_text=True)
    exported = client.get(f"/campaigns/{campaign.id}/report-posts.csv")

    assert f"/campaigns/{campaign.id}/report-posts.csv" in page
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    cells = [(r["part"], r["url"].rsplit("/", 1)[-1], r["impressions"], r["likes"], r["on_x"]) for r in rows]
    assert cells[0] == ("0", root, "1200", "30", "yes")
    assert cells[1] == ("1", first_reply, "300", "5", "yes")
    assert cells[-2] == ("4", rest[-1], "", "0", "no")  # gone before X gave its figures
    assert cells[-1] == ("total", "", "1500", "35", "")
    assert all(row["heading"] == "Aftercare" and row["read_at_utc"] for row in rows[:-1])


def table_rows(html: str):
    table = BeautifulSoup(html, "html.parser").select_one("table.post-metrics")
    return table.find_all("tr")
