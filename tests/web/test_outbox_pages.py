"""The outbox pages: times in the clinic's time, X threads in reply order with part numbers, and an email frame
the page's script can fit to the email (same origin, no script inside)."""

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from service.channels.email.base import OutgoingEmail, Recipient
from service.channels.registry import email_channel_for, social_channel_for
from service.channels.social.outbox import OutboxSocialChannel, threads_of


@pytest.fixture
def admin_client(client, as_user):
    as_user("admin")  # the outbox shows addresses: admins only
    return client


def record(post_id: str, text: str, in_reply_to: str | None = None) -> dict:
    return {"id": post_id, "text": text, "in_reply_to": in_reply_to, "images": [],
            "created_at": "2031-05-06T16:00:00+00:00"}  # fmt: skip


def send_one_email(app) -> None:
    channel = email_channel_for(app.config)
    channel.send_batch(OutgoingEmail(subject="Hi", html="<p>Hi</p>", text="Hi"), [Recipient("a@example.org")])


def test_threads_are_grouped_newest_first_with_parts_in_reply_order():
    records = [record("105", "single"), record("103", "3", "102"), record("102", "2", "101"), record("101", "1")]

    threads = threads_of(records)

    assert [[post.text for post in thread.posts] for thread in threads] == [["single"], ["1", "2", "3"]]
    assert [(post.part, post.parts) for post in threads[1].posts] == [(1, 3), (2, 3), (3, 3)]
    assert (threads[0].posts[0].part, threads[0].posts[0].parts) == (1, 1)


def test_a_thread_begun_before_the_newest_posts_is_completed_from_older_files(app):
    channel = social_channel_for(app.config)
    first = channel.post("Part one")
    second = channel.post("Part two", in_reply_to=first)
    channel.post("Part three", in_reply_to=second)

    threads = OutboxSocialChannel(app.config["OUTBOX_DIR"]).threads(limit=1)

    assert [(post.text, post.part, post.parts) for post in threads[0].posts] == [
        ("Part one", 1, 3),
        ("Part two", 2, 3),
        ("Part three", 3, 3),
    ]


def test_the_outbox_shows_a_thread_in_order_with_part_numbers_not_reply_ids(app, admin_client):
    channel = social_channel_for(app.config)
    ids = [channel.post("One of four")]
    for text in ("Two of four", "Three of four", "Four of four"):
        ids.append(channel.post(text, in_reply_to=ids[-1]))

    page = admin_client.get("/outbox").get_data(as_text=True)

    texts = re.findall(r'<pre class="post">([^<]*)</pre>', page)
    assert texts == ["One of four", "Two of four", "Three of four", "Four of four"]
    assert [part for part in re.findall(r'<span class="part">([^<]*)</span>', page)] == ["1/4", "2/4", "3/4", "4/4"]
    assert not any(post_id in page for post_id in ids), "no raw post ids"


def test_outbox_times_are_the_clinics(app, admin_client):
    folder = Path(app.config["OUTBOX_DIR"]) / "posts"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "1.json").write_text(json.dumps(record("1", "Hello")), "utf-8")  # written at 16:00 UTC

    page = admin_client.get("/outbox").get_data(as_text=True)

    assert "Tue May 6, 2031 9:00 AM" in page, "16:00 UTC is 9:00 in Phoenix"
    assert "America/Phoenix" in page


def test_an_outbox_emails_dates_are_shown_in_the_clinics_time(app, admin_client):
    send_one_email(app)
    written = datetime.now(UTC)

    index = admin_client.get("/outbox").get_data(as_text=True)
    name = re.search(r'href="/outbox/email/([^"]+)"', index).group(1)
    page = admin_client.get(f"/outbox/email/{name}").get_data(as_text=True)

    clinic_day = written.astimezone(ZoneInfo("America/Phoenix")).strftime("%a %b %-d, %Y")
    assert clinic_day in index and clinic_day in page
    assert "(America/Phoenix) · " in page, "the clinic's time beside the header as written"


def test_the_email_frame_can_be_fitted_by_the_pages_script_and_has_a_fallback_height(app, admin_client):
    send_one_email(app)
    name = re.search(r'href="/outbox/email/([^"]+)"', admin_client.get("/outbox").get_data(as_text=True)).group(1)

    page = admin_client.get(f"/outbox/email/{name}").get_data(as_text=True)
    body = admin_client.get(f"/outbox/email/{name}/body.html")

    frame = re.search(r"<iframe[^>]*>", page).group(0)
    assert 'sandbox="allow-same-origin"' in frame and "allow-scripts" not in frame and "data-fit-content" in frame
    assert 'src="/static/email-frame.js"' in page and "<script>" not in page
    assert "script-src" not in body.headers["Content-Security-Policy"], "default-src 'none': no script in the email"
    css = admin_client.get("/static/app.css").get_data(as_text=True)
    assert int(re.search(r"\.email-preview\.fit-content \{ height:(\d+)px", css).group(1)) >= 1500
